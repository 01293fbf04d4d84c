package fakediscord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUnmatchedRequestsAreRecorded(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   map[string]any
	}{
		{"unknown route", http.MethodGet, "/api/v9/users/@me", http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": float64(0)}},
		{"no API version", http.MethodGet, "/api/gateway", http.StatusNotFound, map[string]any{"message": "404: Not Found", "code": float64(0)}},
		{"wrong method", http.MethodDelete, "/api/v9/channels/222", http.StatusMethodNotAllowed, map[string]any{"message": "405: Method Not Allowed", "code": float64(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			status, body := doJSON(t, srv, tt.method, tt.path, "Bot "+testToken, nil)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.wantBody); diff != "" {
				t.Errorf("body (-got +want):\n%s", diff)
			}
			unexpected := srv.Unexpected()
			if len(unexpected) != 1 || unexpected[0].Path != tt.path {
				t.Errorf("Unexpected() = %+v, want the one request to %s", unexpected, tt.path)
			}
		})
	}
}

func TestGatewayRoutes(t *testing.T) {
	srv := newTestServer(t, Options{})

	status, body := doJSON(t, srv, http.MethodGet, "/api/v9/gateway", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), srv.GatewayURL()) {
		t.Errorf("GET /gateway without a token = %d %s, want 200 with %s", status, body, srv.GatewayURL())
	}

	status, _ = doJSON(t, srv, http.MethodGet, "/api/v10/gateway/bot", "", nil)
	if status != http.StatusUnauthorized {
		t.Errorf("GET /gateway/bot without a token = %d, want 401", status)
	}

	status, body = doJSON(t, srv, http.MethodGet, "/api/v10/gateway/bot", "Bot "+testToken, nil)
	var bot struct {
		URL               string `json:"url"`
		Shards            int    `json:"shards"`
		SessionStartLimit struct {
			Total          int `json:"total"`
			MaxConcurrency int `json:"max_concurrency"`
		} `json:"session_start_limit"`
	}
	if err := json.Unmarshal(body, &bot); err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || bot.URL != srv.GatewayURL() || bot.Shards != 1 || bot.SessionStartLimit.MaxConcurrency != 1 {
		t.Errorf("GET /gateway/bot = %d %s", status, body)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if got, want := last.Header.Get("Authorization"), "Bot [redacted]"; got != want {
		t.Errorf("recorded Authorization = %q, want %q", got, want)
	}
}

func TestValidateHook(t *testing.T) {
	var seen []string
	srv := newTestServer(t, Options{Validate: func(r *http.Request, body []byte) error {
		fromBody, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(fromBody, body) {
			return errors.New("request body differs from the body argument")
		}
		seen = append(seen, r.Method+" "+r.URL.Path)
		if bytes.Contains(body, []byte(`"type":5`)) {
			return errors.New("request body: type 5 is not allowed by this test's spec")
		}
		return nil
	}})
	interaction := registerCommand(t, srv)
	path := "/api/v9/interactions/" + interaction.ID + "/" + interaction.Token + "/callback"

	status, body := doJSON(t, srv, http.MethodPost, path, "", map[string]any{"type": 5})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "type 5 is not allowed") {
		t.Errorf("refused by Validate = %d %s, want 400 with the validator's text", status, body)
	}
	var parsed struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Code != CodeInvalidFormBody || parsed.Message != "Invalid Form Body" {
		t.Errorf("error = %d %q, want %d \"Invalid Form Body\"", parsed.Code, parsed.Message, CodeInvalidFormBody)
	}
	if st, _ := srv.Interaction(interaction.ID); st.Response != nil {
		t.Error("a body refused by Validate was applied")
	}

	status, _ = doJSON(t, srv, http.MethodPost, path, "", map[string]any{"type": 4, "data": map[string]any{"content": "ok"}})
	if status != http.StatusNoContent {
		t.Errorf("valid body = %d, want 204", status)
	}
	if diff := cmp.Diff(seen, []string{"POST " + path, "POST " + path}); diff != "" {
		t.Errorf("Validate saw (-got +want):\n%s", diff)
	}
}

func TestInvalidJSONBody(t *testing.T) {
	srv := newTestServer(t, Options{})
	interaction := registerCommand(t, srv)
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/api/v9/interactions/"+interaction.ID+"/"+interaction.Token+"/callback", strings.NewReader(`{"type": 5`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	last := srv.Requests()[len(srv.Requests())-1]
	if resp.StatusCode != http.StatusBadRequest || last.Code != CodeInvalidJSON {
		t.Errorf("truncated JSON = %d/%d, want 400/%d", resp.StatusCode, last.Code, CodeInvalidJSON)
	}
}

func TestAttachmentHost(t *testing.T) {
	clock := newTestClock()
	srv := newTestServer(t, Options{Now: clock.Now})
	image := makePNG(t, 3, 3)
	attachment := srv.HostAttachment(testChannelID, "cat.png", "image/png", image)

	get := func(t *testing.T, rawURL string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}

	if status, body := get(t, attachment.URL); status != http.StatusOK || !bytes.Equal(body, image) {
		t.Errorf("signed URL = %d with %d bytes, want 200 with the image", status, len(body))
	}
	unsigned, _, _ := strings.Cut(attachment.URL, "?")
	if status, _ := get(t, unsigned); status != http.StatusNotFound {
		t.Errorf("URL without its query = %d, want 404", status)
	}
	altered := strings.Replace(attachment.URL, "hm=", "hm=0", 1)
	if status, _ := get(t, altered); status != http.StatusNotFound {
		t.Errorf("URL with an altered signature = %d, want 404", status)
	}
	clock.Advance(25 * time.Hour)
	if status, _ := get(t, attachment.URL); status != http.StatusNotFound {
		t.Errorf("expired URL = %d, want 404", status)
	}

	fetches := routeRequests(srv, RouteEphemeralAttachmentGet)
	if len(fetches) != 4 || fetches[0].Query == "" {
		t.Errorf("recorded %d attachment fetches, want 4 with their queries", len(fetches))
	}
}
