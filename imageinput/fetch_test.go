package imageinput

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// fileServer serves body on every path and counts and records requests.
type fileServer struct {
	*httptest.Server
	hits       atomic.Int32
	requestURI atomic.Value
}

func newFileServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *fileServer {
	t.Helper()
	s := &fileServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.requestURI.Store(r.RequestURI)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func serveBytes(body []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestFetchKeepsSignedQuery(t *testing.T) {
	body := []byte("image bytes")
	srv := newFileServer(t, serveBytes(body))
	// Discord's signed URLs end in "&", and hm may hold escaped characters;
	// both must reach the host unchanged.
	const pathAndQuery = "/ephemeral-attachments/222/444/cat%20photo.png?ex=68f1a2b3&is=68f05133&hm=ab%2Fcd12&"
	f := NewFetcher(srv.Client(), []string{"127.0.0.1"}, 1000)

	got, err := f.Fetch(context.Background(), srv.URL+pathAndQuery, int64(len(body)))
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(got) != string(body) {
		t.Errorf("body = %q, want %q", got, body)
	}
	if uri := srv.requestURI.Load(); uri != pathAndQuery {
		t.Errorf("request URI = %q, want %q", uri, pathAndQuery)
	}
}

func TestFetchHostAllowList(t *testing.T) {
	srv := newFileServer(t, serveBytes([]byte("x")))
	host := hostOf(t, srv.URL)
	tests := []struct {
		name    string
		hosts   []string
		url     string
		allowed bool
	}{
		{name: "host on any port", hosts: []string{"127.0.0.1"}, url: srv.URL + "/a.png", allowed: true},
		{name: "host and port", hosts: []string{host}, url: srv.URL + "/a.png", allowed: true},
		{name: "host in upper case", hosts: []string{"CDN.example.com", "127.0.0.1"}, url: srv.URL + "/a.png", allowed: true},
		{name: "other port", hosts: []string{"127.0.0.1:1"}, url: srv.URL + "/a.png"},
		{name: "other host", hosts: []string{"cdn.discordapp.com"}, url: srv.URL + "/a.png"},
		{name: "suffix is not a match", hosts: []string{"discordapp.com"}, url: "https://cdn.discordapp.com.evil.test/a.png"},
		{name: "file scheme", hosts: []string{"127.0.0.1"}, url: "file:///etc/passwd"},
		{name: "no host", hosts: []string{"127.0.0.1"}, url: "/a.png"},
		{name: "empty list", hosts: nil, url: srv.URL + "/a.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.hits.Load()
			f := NewFetcher(srv.Client(), tt.hosts, 1000)

			_, err := f.Fetch(context.Background(), tt.url, 1)

			if tt.allowed && err != nil {
				t.Fatalf("Fetch: %v, want the file", err)
			}
			if !tt.allowed {
				if !errors.Is(err, ErrHostNotAllowed) {
					t.Fatalf("Fetch error = %v, want ErrHostNotAllowed", err)
				}
				if hits := srv.hits.Load() - before; hits != 0 {
					t.Errorf("server got %d requests, want none", hits)
				}
			}
		})
	}
}

func TestFetchRedirectToOtherHost(t *testing.T) {
	other := newFileServer(t, serveBytes([]byte("elsewhere")))
	srv := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/b.png", http.StatusFound)
	})
	f := NewFetcher(srv.Client(), []string{hostOf(t, srv.URL)}, 1000)

	_, err := f.Fetch(context.Background(), srv.URL+"/a.png", 1)

	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("Fetch error = %v, want ErrHostNotAllowed", err)
	}
	if hits := other.hits.Load(); hits != 0 {
		t.Errorf("the other host got %d requests, want none", hits)
	}
}

func TestFetchSizeLimits(t *testing.T) {
	const limit = 100
	big := []byte(strings.Repeat("x", limit+1))
	tests := []struct {
		name     string
		handler  func(http.ResponseWriter, *http.Request)
		declared int64
		wantErr  error
		wantHits int32
	}{
		{name: "at the limit", handler: serveBytes(big[:limit]), declared: limit, wantHits: 1},
		{name: "declared above the limit", handler: serveBytes(big[:10]), declared: limit + 1, wantErr: ErrTooLarge, wantHits: 0},
		{name: "content length above the limit", handler: serveBytes(big), declared: 10, wantErr: ErrTooLarge, wantHits: 1},
		{
			name: "body above the limit without length",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(big[:50])
				w.(http.Flusher).Flush() // forces chunked encoding: no Content-Length
				w.Write(big[50:])
			},
			declared: 10, wantErr: ErrTooLarge, wantHits: 1,
		},
		{name: "unknown declared size", handler: serveBytes(big[:10]), declared: 0, wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFileServer(t, tt.handler)
			f := NewFetcher(srv.Client(), []string{"127.0.0.1"}, limit)

			got, err := f.Fetch(context.Background(), srv.URL+"/a.png", tt.declared)

			if tt.wantErr == nil && err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Fetch error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && got != nil {
				t.Errorf("Fetch returned %d bytes with an error", len(got))
			}
			if hits := srv.hits.Load(); hits != tt.wantHits {
				t.Errorf("server got %d requests, want %d", hits, tt.wantHits)
			}
		})
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		wantReason string
	}{
		{name: "expired link", status: http.StatusNotFound, wantReason: "no longer serves"},
		{name: "server error", status: http.StatusBadGateway, wantReason: "could not download"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", tt.status)
			})
			f := NewFetcher(srv.Client(), []string{"127.0.0.1"}, 100)

			_, err := f.Fetch(context.Background(), srv.URL+"/a.png", 1)

			rejection, ok := AsRejection(err)
			if !ok || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Fetch error = %v, want an ErrUnavailable rejection", err)
			}
			if !strings.Contains(rejection.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", rejection.Reason, tt.wantReason)
			}
		})
	}
}

func TestFetchEndedContextIsNotRejection(t *testing.T) {
	srv := newFileServer(t, serveBytes([]byte("x")))
	f := NewFetcher(srv.Client(), []string{"127.0.0.1"}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := f.Fetch(ctx, srv.URL+"/a.png", 1)

	if _, ok := AsRejection(err); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch error = %v, want context.Canceled and no rejection", err)
	}
}
