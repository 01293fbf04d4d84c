package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
)

// memberRollup returns the requests and micro-dollars summed over the
// member roll-up rows.
func memberRollup(t *testing.T, e *env) (requests, cost int64) {
	t.Helper()
	err := e.db.NewRaw("SELECT COALESCE(SUM(usage), 0), COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_user_usage_table").
		Scan(context.Background(), &requests, &cost)
	if err != nil {
		t.Fatalf("read member roll-ups: %v", err)
	}
	return requests, cost
}

// registerInteraction registers an interaction with discord and returns it
// as registered, with its application ID, so that a test can dispatch it
// more than once.
func registerInteraction(t *testing.T, discord *fakediscord.Server, in fakediscord.Interaction) fakediscord.Interaction {
	t.Helper()
	registered, err := discord.RegisterInteraction(in)
	if err != nil {
		t.Fatalf("register interaction: %v", err)
	}
	return registered
}

// dispatch sends an already registered interaction over the gateway to
// every connected session.
func dispatch(t *testing.T, discord *fakediscord.Server, in fakediscord.Interaction) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := discord.Dispatch(ctx, "INTERACTION_CREATE", in); err != nil {
		t.Fatalf("dispatch interaction %s: %v", in.ID, err)
	}
}

// waitUntil polls check every 50 ms until it reports true or timeout
// passes, and returns its last result.
func waitUntil(timeout time.Duration, check func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// callSummary lists a request's route, status and Discord error code, for
// failure messages.
func callSummary(calls []fakediscord.Request) []string {
	var out []string
	for _, c := range calls {
		line := c.Method + " " + c.Route
		if c.Status >= 300 {
			line += " -> " + strings.TrimSpace(c.Error)
		}
		out = append(out, line)
	}
	return out
}

// countRoute counts the calls on one route.
func countRoute(calls []fakediscord.Request, route string) int {
	n := 0
	for _, c := range calls {
		if c.Route == route {
			n++
		}
	}
	return n
}

// originalContent returns the content and file count of the interaction's
// original response as the fake holds it now.
func originalContent(t *testing.T, discord *fakediscord.Server, id string) (content string, files int, ephemeral bool) {
	t.Helper()
	state, ok := discord.Interaction(id)
	if !ok || state.Original == nil {
		return "", 0, false
	}
	return state.Original.Content, len(state.Original.Attachments), state.Original.Ephemeral()
}
