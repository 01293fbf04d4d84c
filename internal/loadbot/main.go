// Command loadbot plays many members against the real tally binary, through
// the project's fake Discord (gateway mode, or signed HTTP interactions in
// serve mode) and fake OpenAI with a realistic delay, and reports the
// latency of the first response, metered calls per second, refusals and
// the bot's resident memory. Everything runs on loopback.
//
//	go run ./internal/loadbot -mode gateway -inflight 500 -total 5000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type config struct {
	mode        string
	binary      string
	databaseURL string
	inflight    int
	total       int
	members     int
	openaiDelay time.Duration
	openaiSlots int
	timeout     time.Duration
	warmup      int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.mode, "mode", "gateway", "gateway (tally run) or serve (tally serve with signed HTTP interactions)")
	flag.StringVar(&cfg.binary, "binary", "", "tally binary to run; empty builds it from this module")
	flag.StringVar(&cfg.databaseURL, "database", "", "DATABASE_URL for the bot; empty means a new SQLite file in a temporary folder")
	flag.IntVar(&cfg.inflight, "inflight", 500, "interactions kept in flight at once")
	flag.IntVar(&cfg.total, "total", 5000, "interactions to send in all")
	flag.IntVar(&cfg.members, "members", 5000, "distinct members the interactions come from")
	flag.DurationVar(&cfg.openaiDelay, "openai-delay", 2*time.Second, "how long the fake OpenAI takes per request")
	flag.IntVar(&cfg.openaiSlots, "openai-concurrency", 64, "TALLY_OPENAI_CONCURRENCY: OpenAI requests in flight at once")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "stop the run after this long")
	flag.IntVar(&cfg.warmup, "warmup", 50, "interactions sent first and left out of the figures")
	flag.Parse()

	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadbot:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.mode != "gateway" && cfg.mode != "serve" {
		return fmt.Errorf("unknown -mode %q: use gateway or serve", cfg.mode)
	}
	dir, err := os.MkdirTemp("", "loadbot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.binary == "" {
		cfg.binary = filepath.Join(dir, "tally")
		build := exec.Command("go", "build", "-o", cfg.binary, ".")
		build.Dir = moduleRoot()
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build tally: %w", err)
		}
	}
	if cfg.databaseURL == "" {
		cfg.databaseURL = filepath.Join(dir, "tally.db")
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	h, err := startHarness(ctx, cfg, dir)
	if err != nil {
		return err
	}
	defer h.close()

	result, err := h.play(ctx, cfg)
	if err != nil {
		return err
	}
	result.print(os.Stdout, cfg)
	return nil
}

// moduleRoot finds the folder holding go.mod above the working directory.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}
