package main

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

// statementRecorder is a bun query hook that keeps the text of every
// statement bun sends, BEGIN and COMMIT included, with its arguments
// already interpolated: bun formats arguments into the query text itself,
// so this is the text the server receives.
type statementRecorder struct {
	mu         sync.Mutex
	statements []string
}

var _ bun.QueryHook = (*statementRecorder)(nil)

func (r *statementRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *statementRecorder) AfterQuery(_ context.Context, event *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statements = append(r.statements, event.Query)
}

// take returns the statements recorded since the last call and clears
// the record.
func (r *statementRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	statements := r.statements
	r.statements = nil
	return statements
}
