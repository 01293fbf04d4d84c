package fakediscord

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

// routeRequests returns the recorded requests of one route.
func routeRequests(srv *Server, routeKey string) []Request {
	var out []Request
	for _, r := range srv.Requests() {
		if r.Route == routeKey {
			out = append(out, r)
		}
	}
	return out
}

func TestScriptRateLimitThenSuccess(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddChannel(Channel{ID: alertChannelID, Type: ChannelTypeGuildText, GuildID: testGuildID, Name: "alerts"})
	srv.Script(RouteMessageCreate, RateLimited(150*time.Millisecond))
	session := newSession(t, srv, testToken)

	start := time.Now()
	if _, err := session.ChannelMessageSend(alertChannelID, "alert"); err != nil {
		t.Fatalf("send after a 429: %v", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("discordgo retried after %v, before retry_after", waited)
	}

	requests := routeRequests(srv, RouteMessageCreate)
	var statuses []int
	for _, r := range requests {
		statuses = append(statuses, r.Status)
	}
	if diff := cmp.Diff(statuses, []int{429, 200}); diff != "" {
		t.Fatalf("statuses (-got +want):\n%s", diff)
	}
	if got := len(srv.ChannelMessages(alertChannelID)); got != 1 {
		t.Errorf("stored messages = %d, want 1 (the 429 stores nothing)", got)
	}
	headers := []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket", "X-RateLimit-Scope"}
	for _, name := range headers {
		if requests[0].ResponseHeader.Get(name) == "" {
			t.Errorf("429 answer lacks header %s", name)
		}
	}
}

func TestScriptRateLimitWithoutRetry(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddChannel(Channel{ID: alertChannelID, Type: ChannelTypeGuildText, GuildID: testGuildID, Name: "alerts"})
	srv.Script(RouteMessageCreate, RateLimited(1500*time.Millisecond))
	session := newSession(t, srv, testToken)
	session.ShouldRetryOnRateLimit = false

	_, err := session.ChannelMessageSend(alertChannelID, "alert")
	var limitErr *discordgo.RateLimitError
	if !errors.As(err, &limitErr) {
		t.Fatalf("error = %v, want *discordgo.RateLimitError", err)
	}
	if got, want := limitErr.RetryAfter, 1500*time.Millisecond; got != want {
		t.Errorf("retry_after = %v, want %v", got, want)
	}
	limited := routeRequests(srv, RouteMessageCreate)[0]
	if got := limited.ResponseHeader.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want whole seconds rounded up, 2", got)
	}
	if got := limited.ResponseHeader.Get("X-RateLimit-Reset-After"); got != "1.500" {
		t.Errorf("X-RateLimit-Reset-After = %q, want 1.500", got)
	}
}

func TestScriptedFailures(t *testing.T) {
	tests := []struct {
		name       string
		step       Step
		wantStatus int
		wantCode   int
	}{
		{"unknown interaction", UnknownInteraction(), http.StatusNotFound, CodeUnknownInteraction},
		{"already acknowledged", AlreadyAcknowledged(), http.StatusBadRequest, CodeAlreadyAcknowledged},
		{"internal error", ServerError(http.StatusInternalServerError), http.StatusInternalServerError, CodeGeneral},
		{"service unavailable", ServerError(http.StatusServiceUnavailable), http.StatusServiceUnavailable, -1},
		{"any failure", Fail(http.StatusForbidden, CodeMissingAccess, "Missing Access"), http.StatusForbidden, CodeMissingAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			session := newSession(t, srv, testToken)
			interaction := registerCommand(t, srv)
			srv.Script(RouteInteractionCallback, tt.step)

			deferred := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
			status, code := errorCode(t, session.InteractionRespond(interaction, deferred))
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("scripted answer = %d/%d, want %d/%d", status, code, tt.wantStatus, tt.wantCode)
			}
			if st, _ := srv.Interaction(interaction.ID); st.Response != nil {
				t.Error("a scripted failure stored a response")
			}
			if err := session.InteractionRespond(interaction, deferred); err != nil {
				t.Errorf("request after the script ran out: %v", err)
			}
		})
	}
}

func TestScriptBadGatewayIsRetried(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	srv.Script(RouteInteractionCallback, ServerError(http.StatusBadGateway))

	err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	if err != nil {
		t.Fatalf("respond after a 502: %v", err)
	}
	var statuses []int
	for _, r := range routeRequests(srv, RouteInteractionCallback) {
		statuses = append(statuses, r.Status)
	}
	if diff := cmp.Diff(statuses, []int{502, 204}); diff != "" {
		t.Errorf("statuses (-got +want):\n%s", diff)
	}
}

func TestScriptDelay(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	srv.Script(RouteInteractionCallback, Delay(200*time.Millisecond))

	start := time.Now()
	if err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatalf("respond: %v", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("response took %v, want at least the 200ms delay", took)
	}
}

func TestScriptUnknownRoutePanics(t *testing.T) {
	srv := newTestServer(t, Options{})
	defer func() {
		if recover() == nil {
			t.Error("Script with an unknown route did not panic")
		}
	}()
	srv.Script("POST /interaction/{id}/callback", UnknownInteraction())
}
