// Package e2e runs the real tally binary against the project's fake Discord
// and fake OpenAI, on PostgreSQL and on SQLite, and checks what Discord
// received and what the database holds.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/fakes/spec"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// binary is the tally binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tally-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tally")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tally:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	botToken  = "test-bot-token"
	openAIKey = "sk-test-e2e"
	appID     = "900000000000000001"
	botUserID = "900000000000000002"
)

// env is a running tally process with its fakes and database.
type env struct {
	t       *testing.T
	discord *fakediscord.Server
	openai  *fakeopenai.Server
	db      *bun.DB
	dbURL   string
	*process
}

// process is one tally process.
type process struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
}

// options adjust what start configures.
type options struct {
	extraEnv []string
	// serve runs `tally serve` instead of `tally run`.
	serve bool
}

// start launches fakes and `tally run` against a fresh database of kind,
// and waits until the bot has registered its commands.
func start(t *testing.T, kind string, opts options) *env {
	t.Helper()
	e := &env{t: t, dbURL: dbtest.URL(t, kind)}

	openaiOpts := fakeopenai.Options{APIKey: openAIKey}
	if v := specs(t); v != nil {
		openaiOpts.Validator = v.openai
	}
	var err error
	e.openai, err = fakeopenai.New(openaiOpts)
	if err != nil {
		t.Fatalf("start fake openai: %v", err)
	}
	t.Cleanup(func() { e.openai.Close() })
	e.discord = newDiscord(t)
	e.process = e.spawn(e.discord, opts)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.db, err = models.Open(ctx, e.dbURL)
	if err != nil {
		t.Fatalf("open the bot's database: %v", err)
	}
	t.Cleanup(func() { e.db.Close() })
	return e
}

// newDiscord starts a fake Discord that validates requests against the
// spec when it is available.
func newDiscord(t *testing.T) *fakediscord.Server {
	t.Helper()
	opts := fakediscord.Options{Token: botToken, ApplicationID: appID, BotUserID: botUserID, Guilds: []string{"555"}, HeartbeatInterval: 2000}
	if v := specs(t); v != nil {
		opts.Validate = v.discord.ValidateRequest
	}
	discord, err := fakediscord.New(opts)
	if err != nil {
		t.Fatalf("start fake discord: %v", err)
	}
	t.Cleanup(func() { discord.Close() })
	return discord
}

// spawn starts another tally process on the env's database and fake
// OpenAI, connected to discord, and waits until it has registered its
// commands.
func (e *env) spawn(discord *fakediscord.Server, opts options) *process {
	t := e.t
	t.Helper()
	p := &process{logs: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(binary, "run")
	if opts.serve {
		p.cmd = exec.Command(binary, "serve")
	}
	p.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"DISCORD_TOKEN=" + botToken,
		"DISCORD_API_URL=" + discord.URL(),
		"OPENAI_API_KEY=" + openAIKey,
		"OPENAI_BASE_URL=" + e.openai.URL(),
		"DATABASE_URL=" + e.dbURL,
		"LOG_LEVEL=debug",
	}, opts.extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	registered := len(discordRoutes(discord, fakediscord.RouteGlobalCommandsPut))
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start tally: %v", err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("tally process %d output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := discord.WaitRequests(ctx, registered+1, fakediscord.OnRoute(fakediscord.RouteGlobalCommandsPut))
	if err != nil {
		t.Fatalf("tally did not register its commands: %v\n%s", err, p.logs.String())
	}
	return p
}

func discordRoutes(discord *fakediscord.Server, route string) []fakediscord.Request {
	var out []fakediscord.Request
	for _, r := range discord.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// stop sends SIGTERM and returns the process's exit error, waiting up to
// 20 seconds; it kills the process if it does not stop.
func (p *process) stop() error {
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("tally did not stop within 20 s of SIGTERM")
	}
}

// kill ends the process at once, as a crash would.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	err := <-p.exited
	p.exited <- err
}

// send delivers an interaction through the gateway and returns it.
func (e *env) send(in fakediscord.Interaction) fakediscord.Interaction {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.discord.SendInteraction(ctx, in); err != nil {
		e.t.Fatalf("send interaction: %v", err)
	}
	return in
}

// requestsFor returns the REST requests the bot made for one interaction,
// in the order received: its callback and its webhook calls.
func (e *env) requestsFor(in fakediscord.Interaction) []fakediscord.Request {
	var out []fakediscord.Request
	for _, r := range e.discord.Requests() {
		if strings.Contains(r.Path, "/"+in.Token) || strings.Contains(r.Path, "/interactions/"+in.ID+"/") {
			out = append(out, r)
		}
	}
	return out
}

// waitEdits waits until the bot has edited the original response of the
// interaction n times.
func (e *env) waitEdits(in fakediscord.Interaction, n int, timeout time.Duration) []fakediscord.Request {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	edits, err := e.discord.WaitRequests(ctx, n, func(r fakediscord.Request) bool {
		return r.Method == "PATCH" && strings.Contains(r.Path, in.Token+"/messages/@original")
	})
	if err != nil {
		e.t.Fatalf("waiting for %d edits of interaction %s: %v\n%s", n, in.ID, err, e.logs.String())
	}
	return edits
}

// syncBuffer collects the process's output from two pipes at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type validators struct {
	discord *spec.Validator
	openai  *spec.Validator
}

var (
	specsOnce sync.Once
	specsVal  *validators
	specsErr  error
)

// specs loads the OpenAPI validators once for the package. Without the
// specs folder validation is skipped with a message, except in CI.
func specs(t *testing.T) *validators {
	t.Helper()
	specsOnce.Do(func() {
		d, err := spec.Discord()
		if err != nil {
			specsErr = err
			return
		}
		o, err := spec.OpenAI()
		if err != nil {
			specsErr = err
			return
		}
		specsVal = &validators{discord: d, openai: o}
	})
	if specsErr != nil {
		if spec.Required() {
			t.Fatalf("load API specs: %v", specsErr)
		}
		t.Logf("API spec validation skipped: %v", specsErr)
		return nil
	}
	return specsVal
}

// openaiCalls returns the requests the fake OpenAI received on one path.
func (e *env) openaiCalls(path string) []fakeopenai.Request {
	var out []fakeopenai.Request
	for _, r := range e.openai.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}
