package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

const generationsPath = "/v1/images/generations"

// TestSlowOpenAIDefersFirst makes OpenAI take 5 s: the deferred response
// must reach Discord within milliseconds and before the OpenAI request,
// then exactly one edit carries the image.
func TestSlowOpenAIDefersFirst(t *testing.T) {
	e := start(t, "sqlite", options{})
	e.openai.Script(generationsPath, fakeopenai.Delay(5*time.Second))

	sent := time.Now()
	in := e.send(imagineIn(true, "a red cube"))
	edits := e.waitEdits(in, 1, 20*time.Second)

	calls := e.requestsFor(in)
	if len(calls) != 2 {
		t.Fatalf("%d Discord calls, want the deferral and one edit: %v", len(calls), routes(calls))
	}
	deferral := calls[0]
	if deferral.Route != fakediscord.RouteInteractionCallback {
		t.Fatalf("first call = %s, want the interaction callback", deferral.Route)
	}
	if wait := deferral.Time.Sub(sent); wait > 500*time.Millisecond {
		t.Errorf("deferral sent %v after the event, want within milliseconds", wait)
	}
	openaiCalls := e.openaiCalls(generationsPath)
	if len(openaiCalls) != 1 {
		t.Fatalf("%d OpenAI requests, want 1", len(openaiCalls))
	}
	if !deferral.Time.Before(openaiCalls[0].Time) {
		t.Errorf("deferral at %v came after the OpenAI request at %v", deferral.Time, openaiCalls[0].Time)
	}
	if len(edits[0].Files) != 1 {
		t.Errorf("edit carries %d files, want 1", len(edits[0].Files))
	}
}

// TestModerationBlockEditsOnce has OpenAI refuse the prompt a second after
// the deferral: one OpenAI request, no retry, the message reaches the
// member through the one edit, and the ledger row costs nothing.
func TestModerationBlockEditsOnce(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.openai.Script(generationsPath, fakeopenai.ModerationBlocked().After(time.Second))

			in := e.send(imagineIn(true, "something OpenAI refuses"))
			edits := e.waitEdits(in, 1, 20*time.Second)
			time.Sleep(300 * time.Millisecond) // room for a wrong second call to show up

			calls := e.requestsFor(in)
			if len(calls) != 2 || calls[0].Route != fakediscord.RouteInteractionCallback || calls[1].Route != fakediscord.RouteOriginalEdit {
				t.Fatalf("Discord calls = %v, want one callback then one edit", routes(calls))
			}
			var payload struct {
				Content string `json:"content"`
			}
			if err := json.Unmarshal(edits[0].JSON, &payload); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(payload.Content, "safety system refused") || !strings.Contains(payload.Content, "Nothing was charged") {
				t.Errorf("member saw %q", payload.Content)
			}
			if n := len(e.openaiCalls(generationsPath)); n != 1 {
				t.Errorf("%d OpenAI requests, want 1 (no retry)", n)
			}

			var row models.LedgerEntry
			if err := e.db.NewSelect().Model(&row).Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if row.Status != models.StatusFailed || row.Cost != 0 || row.Failure != "moderation" {
				t.Errorf("ledger row = %s, %d µ$, failure %q; want failed at zero for moderation", row.Status, row.Cost, row.Failure)
			}
			if !strings.Contains(e.logs.String(), `msg="openai refused the prompt"`) || strings.Contains(e.logs.String(), "level=ERROR") {
				t.Errorf("want the block logged once as a refusal, not as an error:\n%s", e.logs.String())
			}
		})
	}
}

// TestDailyLimitHoldsUnderBurst sends ten /imagine at once from a member
// limited to three requests a day, with OpenAI taking 200 ms.
func TestDailyLimitHoldsUnderBurst(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=3"}})
			steps := make([]fakeopenai.Step, 10)
			for i := range steps {
				steps[i] = fakeopenai.Delay(200 * time.Millisecond)
			}
			e.openai.Script(generationsPath, steps...)

			var wg sync.WaitGroup
			ins := make([]fakediscord.Interaction, 10)
			for i := range ins {
				ins[i] = imagineIn(true, fmt.Sprintf("burst %d", i))
			}
			for i := range ins {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.send(ins[i])
				}()
			}
			wg.Wait()

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, in := range ins {
				if _, err := e.discord.WaitResponse(ctx, in.ID); err != nil {
					t.Fatalf("no response to %s: %v", in.ID, err)
				}
			}
			time.Sleep(time.Second) // let the admitted calls finish

			if n := len(e.openaiCalls(generationsPath)); n != 3 {
				t.Errorf("%d requests reached OpenAI, want exactly 3", n)
			}
			refused := 0
			for _, in := range ins {
				state, _ := e.discord.Interaction(in.ID)
				if state.Response != nil && strings.Contains(string(state.Response.Data), "all 3 of your requests today") {
					refused++
				}
			}
			if refused != 7 {
				t.Errorf("%d members were told they hit the limit, want 7", refused)
			}
			var settled int
			if err := e.db.NewRaw("SELECT COUNT(*) FROM usage_ledger_table WHERE status = 'settled'").Scan(ctx, &settled); err != nil {
				t.Fatal(err)
			}
			if settled != 3 {
				t.Errorf("%d settled ledger rows, want 3", settled)
			}
		})
	}
}

// TestRunWithoutTokenExplains starts tally run with no DISCORD_TOKEN.
func TestRunWithoutTokenExplains(t *testing.T) {
	cmd := exec.Command(binary, "run")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "OPENAI_API_KEY=sk-test", "DATABASE_URL=" + t.TempDir() + "/t.db"}
	out, err := cmd.CombinedOutput()
	exitErr, ok := err.(*exec.ExitError)
	if !ok || exitErr.ExitCode() == 0 {
		t.Fatalf("tally run without a token: err = %v, want a non-zero exit", err)
	}
	if !strings.Contains(string(out), "DISCORD_TOKEN is missing") || !strings.Contains(string(out), "Reset Token") {
		t.Errorf("output does not say what is missing and how to get it:\n%s", out)
	}
}
