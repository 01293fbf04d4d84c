package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
)

const (
	botToken  = "load-bot-token"
	openAIKey = "sk-load"
	appID     = "910000000000000001"
	botUserID = "910000000000000002"
)

// harness is the fakes and the tally process under load.
type harness struct {
	discord  *fakediscord.Server
	openai   *fakeopenai.Server
	proc     *exec.Cmd
	logs     *lockedBuffer
	key      ed25519.PrivateKey
	endpoint string
	rss      *rssSampler
}

func startHarness(ctx context.Context, cfg config, dir string) (*harness, error) {
	h := &harness{logs: &lockedBuffer{}, key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))}
	var err error
	h.openai, err = fakeopenai.New(fakeopenai.Options{APIKey: openAIKey, Latency: cfg.openaiDelay})
	if err != nil {
		return nil, err
	}
	h.discord, err = fakediscord.New(fakediscord.Options{Token: botToken, ApplicationID: appID, BotUserID: botUserID, Guilds: []string{"555"}})
	if err != nil {
		h.openai.Close()
		return nil, err
	}

	command := "run"
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"DISCORD_TOKEN=" + botToken,
		"DISCORD_API_URL=" + h.discord.URL(),
		"OPENAI_API_KEY=" + openAIKey,
		"OPENAI_BASE_URL=" + h.openai.URL(),
		"DATABASE_URL=" + cfg.databaseURL,
		fmt.Sprintf("TALLY_OPENAI_CONCURRENCY=%d", cfg.openaiSlots),
		"LOG_LEVEL=warn",
	}
	if cfg.mode == "serve" {
		command = "serve"
		env = append(env,
			"DISCORD_PUBLIC_KEY="+hex.EncodeToString(h.key.Public().(ed25519.PublicKey)),
			"DISCORD_APP_ID="+appID,
			"TALLY_LISTEN_ADDR=127.0.0.1:0",
			"LOG_LEVEL=info")
	}
	h.proc = exec.Command(cfg.binary, command)
	h.proc.Env = env
	h.proc.Stdout, h.proc.Stderr = h.logs, h.logs
	if err := h.proc.Start(); err != nil {
		h.close()
		return nil, fmt.Errorf("start tally: %w", err)
	}
	h.rss = sampleRSS(h.proc.Process.Pid)

	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := h.discord.WaitRequest(waitCtx, fakediscord.OnRoute(fakediscord.RouteGlobalCommandsPut)); err != nil {
		h.close()
		return nil, fmt.Errorf("tally did not register its commands: %w\n%s", err, h.logs.String())
	}
	if cfg.mode == "serve" {
		addr, err := h.listenAddr(waitCtx)
		if err != nil {
			h.close()
			return nil, err
		}
		h.endpoint = "http://" + addr + "/interactions"
	}
	return h, nil
}

var listenLine = regexp.MustCompile(`msg="listening for interactions" addr=(\S+)`)

func (h *harness) listenAddr(ctx context.Context) (string, error) {
	for ctx.Err() == nil {
		if m := listenLine.FindStringSubmatch(h.logs.String()); m != nil {
			return m[1], nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("tally serve logged no listen address:\n%s", h.logs.String())
}

func (h *harness) close() {
	if h.rss != nil {
		h.rss.stop()
	}
	if h.proc != nil && h.proc.Process != nil {
		_ = h.proc.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { h.proc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			h.proc.Process.Kill()
		}
	}
	h.discord.Close()
	h.openai.Close()
}

// lockedBuffer collects the process's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rssSampler reads the process's resident memory every 50 ms and keeps
// the maximum.
type rssSampler struct {
	mu   sync.Mutex
	max  int64
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	go func() {
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		for {
			if kb := readRSS(pid); kb > 0 {
				s.mu.Lock()
				s.max = max(s.max, kb)
				s.mu.Unlock()
			}
			select {
			case <-s.done:
				return
			case <-ticker.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// maxMiB returns the largest resident set seen, in MiB.
func (s *rssSampler) maxMiB() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.max) / 1024
}

// readRSS returns VmRSS of the process in KiB, or 0 when it cannot be read.
func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb
		}
	}
	return 0
}
