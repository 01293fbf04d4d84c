package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
)

// result holds the measurements of one run.
type result struct {
	acks      []time.Duration
	completed int64
	refused   int64
	failed    int64
	elapsed   time.Duration
	rssMiB    float64
	openaiMax int
}

// play keeps cfg.inflight interactions outstanding until cfg.total have
// been sent, each from one of cfg.members distinct members, and waits for
// each to be finished by its edit.
func (h *harness) play(ctx context.Context, cfg config) (*result, error) {
	var (
		mu       sync.Mutex
		acks     []time.Duration
		next     atomic.Int64
		res      result
		firstErr atomic.Value
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := next.Add(1)
				if n > int64(cfg.total) {
					return
				}
				ack, outcome, err := h.one(ctx, cfg, n)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					atomic.AddInt64(&res.failed, 1)
					continue
				}
				switch outcome {
				case "completed":
					atomic.AddInt64(&res.completed, 1)
				case "refused":
					atomic.AddInt64(&res.refused, 1)
				}
				if n > int64(cfg.warmup) {
					mu.Lock()
					acks = append(acks, ack)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.acks = acks
	res.rssMiB = h.rss.maxMiB()
	res.openaiMax = h.openai.MaxInFlight()
	if err, _ := firstErr.Load().(error); err != nil && res.completed == 0 {
		return nil, err
	}
	return &res, nil
}

// one sends interaction n and returns the time to its first response and
// how it ended.
func (h *harness) one(ctx context.Context, cfg config, n int64) (time.Duration, string, error) {
	member := fakediscord.User{ID: strconv.FormatInt(1_000_000+n%int64(cfg.members), 10), Username: fmt.Sprintf("member%d", n%int64(cfg.members))}
	in := fakediscord.GuildCommand("555", "222", member, "2147601408", "imagine",
		fakediscord.StringOption("prompt", fmt.Sprintf("load test image %d", n)),
		fakediscord.StringOption("size", "1024x1024"), fakediscord.StringOption("quality", "low"))

	var ack time.Duration
	if cfg.mode == "gateway" {
		sent := time.Now()
		if err := h.discord.SendInteraction(ctx, in); err != nil {
			return 0, "", err
		}
		state, err := h.discord.WaitResponse(ctx, in.ID)
		if err != nil {
			return 0, "", err
		}
		ack = state.Response.Time.Sub(sent)
	} else {
		registered, err := h.discord.RegisterInteraction(in)
		if err != nil {
			return 0, "", err
		}
		body, err := registered.MarshalJSON()
		if err != nil {
			return 0, "", err
		}
		req, err := fakediscord.SignedRequest(ctx, h.endpoint, h.key, time.Now(), body)
		if err != nil {
			return 0, "", err
		}
		sent := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ack = time.Since(sent)
		if resp.StatusCode != http.StatusOK {
			return 0, "", fmt.Errorf("interaction %s: status %d: %s", in.ID, resp.StatusCode, answer)
		}
		if err := h.applyHTTPResponse(ctx, registered, answer); err != nil {
			return 0, "", err
		}
		in = registered
	}

	state, err := h.discord.WaitResponse(ctx, in.ID)
	if err != nil {
		return 0, "", err
	}
	if state.Response.Type != 5 {
		return ack, "refused", nil
	}
	// Wait for the edit that finishes the interaction.
	for ctx.Err() == nil {
		st, _ := h.discord.Interaction(in.ID)
		if st.Original != nil && (len(st.Original.Attachments) > 0 || st.Original.Content != "") {
			return ack, "completed", nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return ack, "", ctx.Err()
}

// applyHTTPResponse hands the bot's HTTP response to the fake Discord as
// the interaction response, as Discord does.
func (h *harness) applyHTTPResponse(ctx context.Context, in fakediscord.Interaction, answer []byte) error {
	url := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", h.discord.URL(), in.ID, in.Token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(answer))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the bot's response to %s was refused: %d", in.ID, resp.StatusCode)
	}
	return nil
}

func (r *result) print(w io.Writer, cfg config) {
	slices.Sort(r.acks)
	pct := func(p float64) time.Duration {
		if len(r.acks) == 0 {
			return 0
		}
		return r.acks[min(len(r.acks)-1, int(p*float64(len(r.acks))))]
	}
	fmt.Fprintf(w, "mode=%s inflight=%d total=%d openai_delay=%s openai_concurrency=%d\n", cfg.mode, cfg.inflight, cfg.total, cfg.openaiDelay, cfg.openaiSlots)
	fmt.Fprintf(w, "first response: p50=%s p90=%s p99=%s max=%s (n=%d, first %d left out)\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		pct(1).Round(10*time.Microsecond), len(r.acks), cfg.warmup)
	fmt.Fprintf(w, "completed=%d refused=%d failed=%d in %s: %.1f metered calls/s\n",
		r.completed, r.refused, r.failed, r.elapsed.Round(time.Millisecond), float64(r.completed)/r.elapsed.Seconds())
	fmt.Fprintf(w, "max resident memory=%.1f MiB, max OpenAI requests in flight=%d\n", r.rssMiB, r.openaiMax)
}
