package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// checkChargedOnce checks that one /imagine interaction reached OpenAI once
// and is charged once, at a real cost, in the ledger and the roll-ups.
func checkChargedOnce(t *testing.T, e *env, in fakediscord.Interaction) {
	t.Helper()
	if n := len(e.openaiCalls(generationsPath)); n != 1 {
		t.Errorf("%d generation requests reached OpenAI, want 1", n)
	}
	rows := ledgerRows(t, e)
	if len(rows) != 1 {
		t.Fatalf("ledger has %d rows, want 1: %+v", len(rows), rows)
	}
	row := rows[0]
	if row.Status != models.StatusSettled {
		t.Errorf("ledger row is %s (failure %q) at %d µ$, want settled at the real cost", row.Status, row.Failure, row.Cost)
	}
	if row.Cost <= 0 {
		t.Errorf("ledger row costs %d µ$, want the image's price", row.Cost)
	}
	requests, cost := memberRollup(t, e)
	if requests != 1 || cost != int64(row.Cost) || cost <= 0 {
		t.Errorf("member roll-up = %d requests at %d µ$, want 1 at the ledger's cost %d µ$", requests, cost, row.Cost)
	}
	if _, files, _ := originalContent(t, e.discord, in.ID); files != 1 {
		t.Errorf("the member's response carries %d images, want 1", files)
	}
}

// TestAttackReplayedInteractionChargedOnce delivers one /imagine twice over
// the gateway, the second time while the first is still waiting for
// OpenAI, as a gateway RESUME replay does. The image must be charged once.
func TestAttackReplayedInteractionChargedOnce(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.openai.Script(generationsPath, fakeopenai.Delay(2*time.Second))

			in := registerInteraction(t, e.discord, imagineIn(true, "a red cube"))
			dispatch(t, e.discord, in)
			if !waitUntil(10*time.Second, func() bool { return e.openai.InFlight() > 0 }) {
				t.Fatalf("the generation did not reach OpenAI")
			}
			dispatch(t, e.discord, in)

			e.waitEdits(in, 1, 20*time.Second)
			time.Sleep(500 * time.Millisecond)
			t.Logf("Discord calls: %v", callSummary(e.requestsFor(in)))
			checkChargedOnce(t, e, in)
			if strings.Contains(e.logs.String(), "settle image generation") {
				t.Errorf("the original handler could not settle its charge:\n%s", grepLines(e.logs.String(), "settle image generation", "ledger"))
			}
		})
	}
}

// TestAttackTwoGatewaySessionsChargeOnce runs two `tally run` processes on
// one bot token and one PostgreSQL database. Discord delivers every
// interaction to every session of the bot, so both processes receive each
// /imagine. Each must still be charged once and answered once.
func TestAttackTwoGatewaySessionsChargeOnce(t *testing.T) {
	e := start(t, "postgres", options{})
	e.spawn(e.discord, options{})
	e.openai.Script(generationsPath, fakeopenai.Delay(time.Second))

	in := e.send(imagineIn(true, "a red cube"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := e.discord.WaitRequest(ctx, func(r fakediscord.Request) bool {
		return r.Route == fakediscord.RouteOriginalEdit && strings.Contains(r.Path, in.Token) && len(r.Files) > 0
	})
	if err != nil {
		t.Fatalf("no edit carrying the image: %v; Discord calls %v", err, callSummary(e.requestsFor(in)))
	}
	time.Sleep(time.Second)

	t.Logf("Discord calls: %v", callSummary(e.requestsFor(in)))
	checkChargedOnce(t, e, in)
}

// TestAttackLateDeferralFailureLeavesNoCharge stalls the database so that
// admission overruns its one-second budget, and has Discord refuse the
// deferral the bot then sends (10062, the interaction expired). Nothing
// is sent to OpenAI, so nothing may be charged, now or after recovery.
func TestAttackLateDeferralFailureLeavesNoCharge(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.discord.Script(fakediscord.RouteInteractionCallback, fakediscord.UnknownInteraction())
			stallDatabase(t, e, 2500*time.Millisecond)

			in := e.send(imagineIn(true, "a red cube"))
			time.Sleep(5 * time.Second) // the stall, admission and the error handling

			if n := len(e.openaiCalls(generationsPath)); n != 0 {
				t.Fatalf("%d generation requests reached OpenAI, want 0", n)
			}
			t.Logf("Discord calls: %v", callSummary(e.requestsFor(in)))
			for _, row := range ledgerRows(t, e) {
				if row.Status == models.StatusPending {
					t.Errorf("ledger row %d for a request never sent is still pending at an estimate of %d µ$; want it released", row.ID, row.Estimate)
				}
			}

			// A second process recovers pending rows older than one second,
			// as any live instance does after TALLY_RECOVER_AFTER.
			e.spawn(newDiscord(t), options{extraEnv: []string{"TALLY_RECOVER_AFTER=1s", "TALLY_OPENAI_TIMEOUT=500ms"}})
			time.Sleep(2 * time.Second)
			requests, cost := memberRollup(t, e)
			if cost != 0 || requests != 0 {
				t.Errorf("after recovery the member is charged %d requests and %d µ$ for an image never requested", requests, cost)
			}
			for _, row := range ledgerRows(t, e) {
				t.Logf("ledger row %d: %s at %d µ$ (estimate %d), failure %q", row.ID, row.Status, row.Cost, row.Estimate, row.Failure)
			}
		})
	}
}

// grepLines returns the lines of text that contain any of words.
func grepLines(text string, words ...string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestAttackReplayedVariationChargedOnce delivers one /variation twice,
// the second time while OpenAI is still working on the first.
func TestAttackReplayedVariationChargedOnce(t *testing.T) {
	e := start(t, "sqlite", options{extraEnv: []string{attachmentHosts}})
	e.openai.Script(editsPath, fakeopenai.Delay(2*time.Second))
	file := e.discord.HostAttachment(guildChannel, "dog.png", "image/png", encodeImage(t, "png", picture(300, 200)))

	in := registerInteraction(t, e.discord, variationIn(true, file))
	dispatch(t, e.discord, in)
	if !waitUntil(10*time.Second, func() bool { return e.openai.InFlight() > 0 }) {
		t.Fatal("the edit did not reach OpenAI")
	}
	dispatch(t, e.discord, in)
	e.waitEdits(in, 1, 20*time.Second)
	time.Sleep(500 * time.Millisecond)

	rows := ledgerRows(t, e)
	requests, cost := memberRollup(t, e)
	t.Logf("ledger %s at %d µ$ (failure %q); roll-up %d requests at %d µ$", rows[0].Status, rows[0].Cost, rows[0].Failure, requests, cost)
	if len(rows) != 1 || rows[0].Status != models.StatusSettled || rows[0].Cost <= 0 || cost != int64(rows[0].Cost) {
		t.Errorf("a replayed /variation was not charged once at its real cost")
	}
	if n := len(e.openaiCalls(editsPath)); n != 1 {
		t.Errorf("%d edit requests reached OpenAI, want 1", n)
	}
}

// TestAttackTwoGatewaySessionsHoldLimit runs two `tally run` processes on
// one bot token, so both receive every interaction, for a member limited
// to one request a day, and sends three /imagine one after another.
func TestAttackTwoGatewaySessionsHoldLimit(t *testing.T) {
	env := []string{"TALLY_DEFAULT_DAILY_REQUESTS=1"}
	e := start(t, "postgres", options{extraEnv: env})
	e.spawn(e.discord, options{extraEnv: env})
	e.openai.Script(generationsPath, fakeopenai.Delay(time.Second), fakeopenai.Delay(time.Second), fakeopenai.Delay(time.Second))

	images := 0
	for i := range 3 {
		in := e.send(imagineIn(true, "a red cube "+string(rune('a'+i))))
		time.Sleep(3 * time.Second)
		if _, files, _ := originalContent(t, e.discord, in.ID); files > 0 {
			images++
		}
	}
	rows := ledgerRows(t, e)
	for _, row := range rows {
		t.Logf("ledger row %d: %s at %d µ$, failure %q", row.ID, row.Status, row.Cost, row.Failure)
	}
	if images != 1 {
		t.Errorf("a member limited to 1 request a day got %d images", images)
	}
	if n := len(e.openaiCalls(generationsPath)); n != 1 {
		t.Errorf("%d generation requests reached OpenAI, want 1", n)
	}
}
