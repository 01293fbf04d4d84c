package bot

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestOriginTransportRewritesDiscordOnly(t *testing.T) {
	var got []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
	}))
	defer server.Close()
	origin, _ := url.Parse(server.URL)
	client := &http.Client{Transport: originTransport{origin: origin, next: http.DefaultTransport}}

	resp, err := client.Get("https://discord.com/api/v9/gateway?v=9")
	if err != nil {
		t.Fatalf("GET through the transport: %v", err)
	}
	resp.Body.Close()
	if len(got) != 1 || got[0] != "GET /api/v9/gateway?v=9" {
		t.Errorf("server received %v, want the path and query kept", got)
	}

	req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v9/users/@me", nil)
	if _, err := (originTransport{origin: origin, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host != origin.Host {
			t.Errorf("host = %s, want %s", r.URL.Host, origin.Host)
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if req.URL.Host != "discord.com" {
		t.Errorf("the caller's request was modified: host %s", req.URL.Host)
	}

	other, _ := http.NewRequest(http.MethodGet, "https://cdn.discordapp.com/attachments/1/2/a.png", nil)
	(originTransport{origin: origin, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host != "cdn.discordapp.com" {
			t.Errorf("attachment host rewritten to %s", r.URL.Host)
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})}).RoundTrip(other)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
