package openaiclient

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testAPIKey = "sk-test-key-0123456789abcdef"

// recordedRequest is one request the scripted server received.
type recordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// reply is one scripted response. A nil handle writes status, header and body.
type reply struct {
	status int
	header map[string]string
	body   string
	// handle replaces the default writer, for dropped connections and delays.
	handle func(w http.ResponseWriter, r *http.Request)
}

// scriptedServer is an OpenAI stand-in on 127.0.0.1 that records every
// request and responds with the scripted replies in order, repeating the
// last one when it runs out.
type scriptedServer struct {
	*httptest.Server
	mu       sync.Mutex
	replies  []reply
	requests []recordedRequest
}

func newScriptedServer(t *testing.T, replies ...reply) *scriptedServer {
	t.Helper()
	server := &scriptedServer{replies: replies}
	server.Server = httptest.NewServer(http.HandlerFunc(server.serve))
	t.Cleanup(server.Close)
	return server
}

func (s *scriptedServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)

	s.mu.Lock()
	s.requests = append(s.requests, recordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	index := min(len(s.requests)-1, len(s.replies)-1)
	next := s.replies[index]
	s.mu.Unlock()

	if next.handle != nil {
		next.handle(w, r)
		return
	}
	for name, value := range next.header {
		w.Header().Set(name, value)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(next.status)
	io.WriteString(w, next.body)
}

func (s *scriptedServer) received() []recordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedRequest(nil), s.requests...)
}

// baseURL returns the server's URL with the /v1 prefix OpenAI uses.
func (s *scriptedServer) baseURL() string { return s.URL + "/v1" }

// dropConnection reads nothing more and closes the connection without a
// response, after the handler has already read the whole request.
func dropConnection(t *testing.T) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		hijacker, ok := w.(http.Hijacker)
		if !ok {
			t.Errorf("response writer %T cannot be hijacked", w)
			return
		}
		conn, _, err := hijacker.Hijack()
		if err != nil {
			t.Errorf("hijack connection: %v", err)
			return
		}
		conn.Close()
	}
}

// sleepRecorder is a Config.Sleep that returns at once and records delays.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// newTestClient returns a Client for baseURL with the test key, instant
// backoff recorded in the returned sleepRecorder, no logging unless cfg
// sets a Logger, and cfg's other fields.
func newTestClient(t *testing.T, baseURL string, cfg Config) (*Client, *sleepRecorder) {
	t.Helper()
	sleeper := &sleepRecorder{}
	cfg.APIKey = testAPIKey
	cfg.BaseURL = baseURL
	if cfg.Sleep == nil {
		cfg.Sleep = sleeper.sleep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SafetyKey == nil {
		cfg.SafetyKey = []byte("0123456789abcdef0123456789abcdef")
	}
	return New(cfg), sleeper
}

// pngImage encodes a width×height PNG. With alpha, one pixel is
// transparent so that the encoder writes an RGBA PNG; without, the image
// is opaque and the encoder writes an RGB PNG.
func pngImage(t *testing.T, width, height int, alpha bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.Set(x, y, color.NRGBA{R: 200, G: 30, B: 30, A: 255})
		}
	}
	if alpha {
		img.Set(0, 0, color.NRGBA{})
	}
	var buffer bytes.Buffer
	if err := png.Encode(&buffer, img); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return buffer.Bytes()
}

// grayPNG encodes a square grayscale (L) PNG.
func grayPNG(t *testing.T, side int) []byte {
	t.Helper()
	var buffer bytes.Buffer
	if err := png.Encode(&buffer, image.NewGray(image.Rect(0, 0, side, side))); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return buffer.Bytes()
}

func jpegImage(t *testing.T, side int) []byte {
	t.Helper()
	var buffer bytes.Buffer
	if err := jpeg.Encode(&buffer, image.NewRGBA(image.Rect(0, 0, side, side)), nil); err != nil {
		t.Fatalf("encode JPEG: %v", err)
	}
	return buffer.Bytes()
}

// webpHeader is the start of a WebP file, enough for content sniffing.
func webpHeader() []byte {
	return append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...)
}
