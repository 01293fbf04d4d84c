package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
)

// interactionKey signs the interactions the tests deliver over HTTP; its
// public half is the application's DISCORD_PUBLIC_KEY.
var interactionKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func serveEnv() []string {
	public := interactionKey.Public().(ed25519.PublicKey)
	return []string{
		"DISCORD_PUBLIC_KEY=" + hex.EncodeToString(public),
		"DISCORD_APP_ID=" + appID,
		"TALLY_LISTEN_ADDR=127.0.0.1:0",
	}
}

var listenLine = regexp.MustCompile(`msg="listening for interactions" addr=(\S+)`)

// endpoint returns the process's interactions URL, read from its log.
func (p *process) endpoint(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listenLine.FindStringSubmatch(p.logs.String()); m != nil {
			return "http://" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("tally serve logged no listen address:\n%s", p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeAnswersImagine(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{serve: true, extraEnv: serveEnv()})
			base := e.endpoint(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			in := imagineIn(true, "a red cube")
			status, err := e.discord.DeliverHTTP(ctx, base+"/interactions", interactionKey, in)
			if err != nil || status != http.StatusOK {
				t.Fatalf("deliver: status %d, error %v", status, err)
			}
			edits := e.waitEdits(in, 1, 20*time.Second)
			if len(edits[0].Files) != 1 {
				t.Errorf("edit carries %d files, want the image", len(edits[0].Files))
			}
			state, _ := e.discord.Interaction(in.ID)
			if state.Response == nil || state.Response.Type != 5 {
				t.Errorf("interaction response = %+v, want a deferral", state.Response)
			}

			dm := imagineIn(false, "a blue sphere")
			if status, err := e.discord.DeliverHTTP(ctx, base+"/interactions", interactionKey, dm); err != nil || status != http.StatusOK {
				t.Fatalf("deliver DM: status %d, error %v", status, err)
			}
			e.waitEdits(dm, 1, 20*time.Second)

			resp, err := http.Get(base + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"database":"reachable"`) {
				t.Errorf("healthz = %d %s", resp.StatusCode, body)
			}
			// The handlers count an interaction when they return, just after
			// the edit Discord received, so the counts may lag briefly.
			var metricsText []byte
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				resp, err = http.Get(base + "/metrics")
				if err != nil {
					t.Fatal(err)
				}
				metricsText, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(metricsText), `tally_interactions_in_flight 0`) {
					break
				}
			}
			for _, want := range []string{
				`tally_interactions_total{command="imagine",outcome="ok"} 2`,
				`tally_cost_micro_usd_total{endpoint="openai_images_generate"}`,
				`tally_openai_request_duration_seconds_count{endpoint="openai_images_generate"} 2`,
				`tally_interactions_in_flight 0`,
			} {
				if !strings.Contains(string(metricsText), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}

			if err := e.stop(); err != nil {
				t.Errorf("tally serve did not exit cleanly on SIGTERM: %v", err)
			}
		})
	}
}

// TestServeRejectsUnverifiedRequests checks PING and each way a request
// can fail verification.
func TestServeRejectsUnverifiedRequests(t *testing.T) {
	e := start(t, "sqlite", options{serve: true, extraEnv: serveEnv()})
	endpoint := e.endpoint(t) + "/interactions"
	ctx := context.Background()
	ping := []byte(`{"id":"1","application_id":"` + appID + `","type":1,"token":"x","version":1}`)
	_, otherKey, _ := ed25519.GenerateKey(nil)

	signed := func(key ed25519.PrivateKey, at time.Time, body []byte) *http.Request {
		req, err := fakediscord.SignedRequest(ctx, endpoint, key, at, body)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	unsigned, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(ping))
	tampered := signed(interactionKey, time.Now(), ping)
	tampered.Body = io.NopCloser(bytes.NewReader(bytes.Replace(ping, []byte(`"type":1`), []byte(`"type":2`), 1)))

	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"ping", signed(interactionKey, time.Now(), ping), http.StatusOK, `"type":1`},
		{"missing signature", unsigned, http.StatusUnauthorized, ""},
		{"wrong key", signed(otherKey, time.Now(), ping), http.StatusUnauthorized, ""},
		{"tampered body", tampered, http.StatusUnauthorized, ""},
		{"stale timestamp", signed(interactionKey, time.Now().Add(-10*time.Minute), ping), http.StatusUnauthorized, ""},
		{"oversized body", signed(interactionKey, time.Now(), bytes.Repeat([]byte("x"), 2<<20)), http.StatusRequestEntityTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body = %s, want it to contain %s", body, tt.wantBody)
			}
		})
	}
}

// TestServeLimitHoldsAcrossInstances runs two `tally serve` instances on
// one PostgreSQL database, as behind a load balancer, and delivers ten
// /imagine at once from one member limited to three a day, alternating
// between them.
func TestServeLimitHoldsAcrossInstances(t *testing.T) {
	env := append(serveEnv(), "TALLY_DEFAULT_DAILY_REQUESTS=3")
	e := start(t, "postgres", options{serve: true, extraEnv: env})
	second := e.spawn(e.discord, options{serve: true, extraEnv: env})
	endpoints := []string{e.endpoint(t) + "/interactions", second.endpoint(t) + "/interactions"}
	steps := make([]fakeopenai.Step, 10)
	for i := range steps {
		steps[i] = fakeopenai.Delay(200 * time.Millisecond)
	}
	e.openai.Script(generationsPath, steps...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := imagineIn(true, fmt.Sprintf("burst %d", i))
			if status, err := e.discord.DeliverHTTP(ctx, endpoints[i%2], interactionKey, in); err != nil || status != http.StatusOK {
				t.Errorf("deliver %d: status %d, error %v", i, status, err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(1500 * time.Millisecond) // let the admitted calls finish

	if n := len(e.openaiCalls(generationsPath)); n != 3 {
		t.Errorf("%d requests reached OpenAI across both instances, want exactly 3", n)
	}
	var settled int
	if err := e.db.NewRaw("SELECT COUNT(*) FROM usage_ledger_table WHERE status = 'settled'").Scan(ctx, &settled); err != nil {
		t.Fatal(err)
	}
	if settled != 3 {
		t.Errorf("%d settled rows, want 3", settled)
	}
}
