package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/models"
)

// TestQuotaExhaustedIsNotRetried has OpenAI answer 429 insufficient_quota:
// one request, the member is told the service is unavailable, the
// operator is alerted in the log, and nothing is charged.
func TestQuotaExhaustedIsNotRetried(t *testing.T) {
	e := start(t, "sqlite", options{})
	e.openai.Script(generationsPath, fakeopenai.InsufficientQuota())

	in := e.send(imagineIn(true, "a red cube"))
	edits := e.waitEdits(in, 1, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // room for a wrong retry to show up

	if n := len(e.openaiCalls(generationsPath)); n != 1 {
		t.Errorf("%d OpenAI requests, want 1 (no retry on insufficient_quota)", n)
	}
	var payload struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(edits[0].JSON, &payload); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(payload.Content, "out of credit") || !strings.Contains(payload.Content, "Nothing was charged") {
		t.Errorf("member saw %q, want to be told the service is unavailable", payload.Content)
	}
	if !strings.Contains(e.logs.String(), `level=ERROR msg="openai quota exhausted`) {
		t.Errorf("the operator was not alerted in the log:\n%s", e.logs.String())
	}
	var row models.LedgerEntry
	if err := e.db.NewSelect().Model(&row).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if row.Status != models.StatusFailed || row.Cost != 0 || row.Failure != "quota" {
		t.Errorf("ledger row = %s at %d µ$, failure %q; want failed at zero for quota", row.Status, row.Cost, row.Failure)
	}
}

// TestRateLimitIsRetried has OpenAI answer 429 rate_limit_exceeded twice
// and then succeed: three requests with backoff, one image, one charge.
func TestRateLimitIsRetried(t *testing.T) {
	e := start(t, "sqlite", options{})
	e.openai.Script(generationsPath,
		fakeopenai.RateLimited(100*time.Millisecond),
		fakeopenai.RateLimited(100*time.Millisecond))

	in := e.send(imagineIn(true, "a red cube"))
	edits := e.waitEdits(in, 1, 20*time.Second)

	calls := e.openaiCalls(generationsPath)
	if len(calls) != 3 {
		t.Fatalf("%d OpenAI requests, want 3", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Time.Sub(calls[i-1].Time); gap < 90*time.Millisecond {
			t.Errorf("retry %d came %v after the previous request, want at least the 100 ms retry-after", i, gap)
		}
	}
	if len(edits[0].Files) != 1 {
		t.Errorf("edit carries %d files, want the image", len(edits[0].Files))
	}
	var rows []models.LedgerEntry
	if err := e.db.NewSelect().Model(&rows).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != models.StatusSettled || rows[0].Attempts != 3 || rows[0].Cost <= 0 {
		t.Errorf("ledger = %+v, want one settled row with 3 attempts", rows)
	}
}
