package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// workloadConfig is the settings every call of a run shares. The pgbench
// script in bench/ mirrors them: the same member, server and interaction
// naming, the same request and the same limits.
type workloadConfig struct {
	// Run prefixes member and interaction IDs, so that each run starts
	// with members that have no ledger rows yet.
	Run string
	// Members is how many distinct members the calls rotate through.
	Members int
	// Guilds is how many servers the members are spread over: member k
	// calls from server k mod Guilds.
	Guilds int
	// DailyRequests and DailyBudget are the per-member defaults, set high
	// enough never to reject a call, so that every admission runs the
	// rate-limit count and the budget sum.
	DailyRequests int
	DailyBudget   models.MicroUSD
	// GlobalMonthlyBudget, when set, makes every admission take the same
	// advisory lock, which serialises admissions across members.
	GlobalMonthlyBudget models.MicroUSD
}

// workload meters one /imagine request per call: admit, then settle.
type workload struct {
	cfg   workloadConfig
	meter *metering.Meter
}

func newWorkload(db *bun.DB, cfg workloadConfig) *workload {
	meter := metering.New(db, metering.Options{
		Logger:               slog.New(slog.DiscardHandler),
		DefaultDailyRequests: cfg.DailyRequests,
		DefaultDailyBudget:   cfg.DailyBudget,
		GlobalMonthlyBudget:  cfg.GlobalMonthlyBudget,
		// The product's default retention, so the prompt is written.
		PromptRetention: 30 * 24 * time.Hour,
	})
	return &workload{cfg: cfg, meter: meter}
}

// memberID returns the Discord user ID of member k. The pgbench script
// builds the same text from its :run and :client_id variables.
func (w *workload) memberID(k int) string {
	return fmt.Sprintf("bench-%s-%d", w.cfg.Run, k)
}

// guildID returns the server of member k.
func (w *workload) guildID(k int) string {
	return fmt.Sprintf("%d", 900000000000000000+k%w.cfg.Guilds)
}

// call admits and settles one request by member k. The sequence number
// seq makes the interaction ID unique.
func (w *workload) call(ctx context.Context, member int, seq int64) error {
	reservation, err := w.admit(ctx, member, seq)
	if err != nil {
		return err
	}
	return w.settle(ctx, reservation)
}

// admit admits one /imagine request by member k.
func (w *workload) admit(ctx context.Context, member int, seq int64) (*metering.Reservation, error) {
	charge := metering.Charge{
		InteractionID: fmt.Sprintf("%s-%d-%d", w.cfg.Run, member, seq),
		Caller: metering.Caller{
			DiscordUserID: w.memberID(member),
			Username:      "bench member",
			GuildID:       w.guildID(member),
			ChannelID:     "800000000000000000",
		},
		Endpoint: models.EndpointImagesGenerate,
		Model:    "gpt-image-2",
		Size:     "1024x1024",
		Quality:  "medium",
		Units:    1,
		Expected: models.Tokens{TextInput: 12, ImageOutput: 1056},
		Prompt:   "a lighthouse on a cliff at dusk, in watercolour",
	}
	reservation, err := w.meter.Admit(ctx, charge)
	if err != nil {
		return nil, fmt.Errorf("admit: %w", err)
	}
	return reservation, nil
}

// settle settles a reservation at a fixed usage, the same on every call.
func (w *workload) settle(ctx context.Context, reservation *metering.Reservation) error {
	outcome := metering.Outcome{
		Tokens:    models.Tokens{TextInput: 12, ImageOutput: 1056},
		Units:     1,
		RequestID: "req_bench",
		Latency:   8 * time.Second,
		Attempts:  1,
	}
	if _, err := w.meter.Settle(ctx, reservation, outcome); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	return nil
}
