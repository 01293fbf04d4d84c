package fakediscord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

const (
	testToken     = "test-bot-token"
	testAppID     = "1100000000000000001"
	testBotUserID = "1100000000000000002"
	testGuildID   = "555"
	testChannelID = "222"
)

var testUser = User{ID: "333", Username: "alice", GlobalName: "Alice"}

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestServer starts a fake with test defaults; fields set in opts
// replace them.
func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.ApplicationID == "" {
		opts.ApplicationID = testAppID
	}
	if opts.BotUserID == "" {
		opts.BotUserID = testBotUserID
	}
	if opts.Guilds == nil {
		opts.Guilds = []string{testGuildID}
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// originRewriter sends discordgo's https://discord.com requests to the
// fake, keeping the path.
type originRewriter struct {
	target *url.URL
	next   http.RoundTripper
}

func (o originRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "https" && r.URL.Host == "discord.com" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = o.target.Scheme, o.target.Host
		r.Host = o.target.Host
	}
	return o.next.RoundTrip(r)
}

// newSession makes a discordgo v0.28.1 session that talks to srv.
func newSession(t *testing.T, srv *Server, token string) *discordgo.Session {
	t.Helper()
	session, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatalf("discordgo.New: %v", err)
	}
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatalf("parse fake URL: %v", err)
	}
	session.Client = &http.Client{Timeout: 20 * time.Second, Transport: originRewriter{target: target, next: http.DefaultTransport}}
	session.LogLevel = discordgo.LogError
	session.ShouldReconnectOnError = false
	return session
}

// openSession opens a gateway session and closes it when the test ends.
func openSession(t *testing.T, srv *Server) *discordgo.Session {
	t.Helper()
	session := newSession(t, srv, testToken)
	if err := session.Open(); err != nil {
		t.Fatalf("open discordgo session: %v", err)
	}
	t.Cleanup(func() { session.Close() })
	return session
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// registerCommand registers a guild slash command interaction without the
// gateway and returns it as discordgo would receive it.
func registerCommand(t *testing.T, srv *Server, options ...Option) *discordgo.Interaction {
	t.Helper()
	in, err := srv.RegisterInteraction(GuildCommand(testGuildID, testChannelID, testUser, "2147483648", "imagine", options...))
	if err != nil {
		t.Fatalf("RegisterInteraction: %v", err)
	}
	return &discordgo.Interaction{ID: in.ID, AppID: in.ApplicationID, Token: in.Token, Type: discordgo.InteractionApplicationCommand}
}

// restError returns the discordgo REST error inside err, failing the test
// when there is none.
func restError(t *testing.T, err error) *discordgo.RESTError {
	t.Helper()
	var restErr *discordgo.RESTError
	if !errors.As(err, &restErr) {
		t.Fatalf("error %v is not a *discordgo.RESTError", err)
	}
	return restErr
}

// errorCode returns the status and Discord code of a REST error.
func errorCode(t *testing.T, err error) (int, int) {
	t.Helper()
	restErr := restError(t, err)
	code := -1
	if restErr.Message != nil {
		code = restErr.Message.Code
	}
	return restErr.Response.StatusCode, code
}

// errorPaths lists the dotted paths of the field errors in a 50035 body,
// such as "data.embeds.0.description", sorted.
func errorPaths(t *testing.T, body []byte) []string {
	t.Helper()
	var parsed struct {
		Errors map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil {
		t.Fatalf("decode error body %s: %v", body, err)
	}
	var out []string
	var walk func(prefix []string, node map[string]any)
	walk = func(prefix []string, node map[string]any) {
		for key, child := range node {
			if key == "_errors" {
				out = append(out, strings.Join(prefix, "."))
				continue
			}
			if m, ok := child.(map[string]any); ok {
				walk(append(slices.Clone(prefix), key), m)
			}
		}
	}
	walk(nil, parsed.Errors)
	sort.Strings(out)
	return out
}

// makePNG encodes a small opaque PNG of the given size.
func makePNG(t *testing.T, width, height int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for x := range width {
		for y := range height {
			img.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return buf.Bytes()
}

// doJSON sends a raw request to the fake and returns the status and body.
func doJSON(t *testing.T, srv *Server, method, path, auth string, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, srv.URL()+path, reader)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp.StatusCode, data
}

func ptr[T any](v T) *T { return &v }
