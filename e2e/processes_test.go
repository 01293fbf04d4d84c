package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// TestCrashedChargeIsRecovered kills a tally process while its OpenAI
// request is in flight, so its ledger row stays pending. A second process
// recovers the charge at its estimate, once.
func TestCrashedChargeIsRecovered(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.openai.Script(generationsPath, fakeopenai.Delay(10*time.Second))

			e.send(imagineIn(true, "a red cube"))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// Kill the bot while the fake OpenAI holds the generation, before
			// any response reaches it.
			for e.openai.InFlight() == 0 {
				if ctx.Err() != nil {
					t.Fatal("the generation did not reach OpenAI")
				}
				time.Sleep(10 * time.Millisecond)
			}
			e.kill()

			var pending models.LedgerEntry
			if err := e.db.NewSelect().Model(&pending).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if pending.Status != models.StatusPending || pending.Estimate <= 0 {
				t.Fatalf("after the crash the row is %s with estimate %d, want pending with an estimate", pending.Status, pending.Estimate)
			}

			time.Sleep(1100 * time.Millisecond) // older than TALLY_RECOVER_AFTER below
			second := e.spawn(newDiscord(t), options{extraEnv: []string{"TALLY_RECOVER_AFTER=1s", "TALLY_OPENAI_TIMEOUT=500ms"}})
			var row models.LedgerEntry
			for ctx.Err() == nil {
				if err := e.db.NewSelect().Model(&row).Scan(ctx); err != nil {
					t.Fatal(err)
				}
				if row.Status != models.StatusPending {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if row.Status != models.StatusUncertain || row.Cost != pending.Estimate {
				t.Fatalf("recovered row = %s at %d µ$, want uncertain at the estimate %d", row.Status, row.Cost, pending.Estimate)
			}
			var usage models.EndpointUserUsage
			if err := e.db.NewSelect().Model(&usage).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if usage.Usage != 1 || usage.Cost != pending.Estimate {
				t.Errorf("roll-up = %d requests at %d µ$, want 1 at %d", usage.Usage, usage.Cost, pending.Estimate)
			}
			if !strings.Contains(second.logs.String(), "recovered pending charge") {
				t.Errorf("the second process did not log the recovery:\n%s", second.logs.String())
			}
		})
	}
}

// TestLimitHoldsAcrossTwoProcesses runs two tally processes on one
// PostgreSQL database, each on its own gateway connection, and sends ten
// /imagine at once from one member limited to three a day, five through
// each process.
func TestLimitHoldsAcrossTwoProcesses(t *testing.T) {
	e := start(t, "postgres", options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=3"}})
	otherDiscord := newDiscord(t)
	e.spawn(otherDiscord, options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=3"}})
	steps := make([]fakeopenai.Step, 10)
	for i := range steps {
		steps[i] = fakeopenai.Delay(200 * time.Millisecond)
	}
	e.openai.Script(generationsPath, steps...)

	type sent struct {
		discord *fakediscord.Server
		in      fakediscord.Interaction
	}
	var all []sent
	for i := range 10 {
		discord := e.discord
		if i%2 == 1 {
			discord = otherDiscord
		}
		all = append(all, sent{discord, imagineIn(true, fmt.Sprintf("burst %d", i))})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.discord.SendInteraction(ctx, s.in); err != nil {
				t.Errorf("send: %v", err)
			}
		}()
	}
	wg.Wait()
	for _, s := range all {
		if _, err := s.discord.WaitResponse(ctx, s.in.ID); err != nil {
			t.Fatalf("no response to %s: %v", s.in.ID, err)
		}
	}
	time.Sleep(time.Second)

	if n := len(e.openaiCalls(generationsPath)); n != 3 {
		t.Errorf("%d requests reached OpenAI across both processes, want exactly 3", n)
	}
	var perProcess [2]int
	for i, s := range all {
		state, _ := s.discord.Interaction(s.in.ID)
		if state.Response != nil && state.Response.Type == 5 {
			perProcess[i%2]++
		}
	}
	if perProcess[0]+perProcess[1] != 3 {
		t.Errorf("deferred responses per process = %v, want 3 in all", perProcess)
	}
	var settled, cost, rollup int64
	if err := e.db.NewRaw("SELECT COUNT(*), COALESCE(SUM(cost_micro_usd), 0) FROM usage_ledger_table WHERE status = 'settled'").Scan(ctx, &settled, &cost); err != nil {
		t.Fatal(err)
	}
	if err := e.db.NewRaw("SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_user_usage_table").Scan(ctx, &rollup); err != nil {
		t.Fatal(err)
	}
	if settled != 3 || cost != rollup {
		t.Errorf("ledger: %d settled rows at %d µ$; roll-ups: %d µ$; want 3 rows and equal sums", settled, cost, rollup)
	}
}
