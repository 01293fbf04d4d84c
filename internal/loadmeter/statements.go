package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

var (
	// stringLiteral matches a single-quoted SQL string, '' escapes included.
	stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)
	// pgbenchVariable matches a pgbench variable reference such as :run.
	pgbenchVariable = regexp.MustCompile(`:[A-Za-z_][A-Za-z0-9_]*`)
	// numberLiteral matches an integer not part of a name.
	numberLiteral = regexp.MustCompile(`\b[0-9]+\b`)
	// whitespace matches runs of spaces, tabs and newlines.
	whitespace = regexp.MustCompile(`\s+`)
)

// normalizeStatement returns the shape of a statement: every string and
// number literal, every pgbench variable and every now() becomes ?, and
// whitespace is collapsed. Statements bun sent and the pgbench script's
// statements have the same shape when they differ only in their values.
func normalizeStatement(statement string) string {
	s := strings.TrimSpace(statement)
	s = strings.TrimSuffix(s, ";")
	s = stringLiteral.ReplaceAllString(s, "?")
	s = pgbenchVariable.ReplaceAllString(s, "?")
	s = strings.ReplaceAll(s, "now()", "?")
	s = numberLiteral.ReplaceAllString(s, "?")
	s = whitespace.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// statementTimer is a bun query hook that adds up the client-side time of
// each statement shape: from handing the statement to the driver to
// reading its result, network round trip and lock waits included.
type statementTimer struct {
	mu    sync.Mutex
	order []string
	stats map[string]*statementStats
}

type statementStats struct {
	count int
	total time.Duration
	max   time.Duration
}

var _ bun.QueryHook = (*statementTimer)(nil)

func newStatementTimer() *statementTimer {
	return &statementTimer{stats: map[string]*statementStats{}}
}

func (t *statementTimer) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (t *statementTimer) AfterQuery(_ context.Context, event *bun.QueryEvent) {
	elapsed := time.Since(event.StartTime)
	shape := normalizeStatement(event.Query)

	t.mu.Lock()
	defer t.mu.Unlock()
	stats, ok := t.stats[shape]
	if !ok {
		stats = &statementStats{}
		t.stats[shape] = stats
		t.order = append(t.order, shape)
	}
	stats.count++
	stats.total += elapsed
	stats.max = max(stats.max, elapsed)
}

// print writes one line per statement shape, in the order first seen:
// count, mean and maximum time, and the start of the statement.
func (t *statementTimer) print(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(w, "%8s %9s %9s  %s\n", "count", "mean_ms", "max_ms", "statement")
	for _, shape := range t.order {
		stats := t.stats[shape]
		mean := stats.total / time.Duration(stats.count)
		fmt.Fprintf(w, "%8d %9.3f %9.3f  %.90s\n", stats.count, milliseconds(mean), milliseconds(stats.max), shape)
	}
}
