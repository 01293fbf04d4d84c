package metering_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

func imageCharge(interactionID string) metering.Charge {
	return metering.Charge{
		InteractionID: interactionID,
		Caller:        metering.Caller{DiscordUserID: "333", Username: "alice", GuildID: "555", ChannelID: "222"},
		Endpoint:      models.EndpointImagesGenerate,
		Model:         "gpt-image-2",
		Size:          "1024x1024",
		Quality:       "medium",
		Units:         1,
		Expected:      models.Tokens{TextInput: 10, ImageOutput: 1056},
	}
}

func TestAdmitSettleRecordsExactCost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		meter := metering.New(db, metering.Options{})

		r, err := meter.Admit(ctx, imageCharge("i1"))
		if err != nil {
			t.Fatalf("Admit: %v", err)
		}
		if r.Entry.Status != models.StatusPending || r.Price == nil {
			t.Fatalf("reservation = %+v, want a pending row with a price", r.Entry)
		}
		// 10 × $5 + 1056 × $30 per million tokens = 31,730 µ$.
		if r.Entry.Estimate != 31_730 {
			t.Errorf("estimate = %d µ$, want 31730", r.Entry.Estimate)
		}

		cost, err := meter.Settle(ctx, r, metering.Outcome{Tokens: models.Tokens{TextInput: 7, ImageOutput: 1056}, Units: 1, RequestID: "req_1"})
		if err != nil {
			t.Fatalf("Settle: %v", err)
		}
		if cost != 31_715 {
			t.Errorf("cost = %d µ$, want 31715", cost)
		}

		var entry models.LedgerEntry
		if err := db.NewSelect().Model(&entry).Where("interaction_id = 'i1'").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if entry.Status != models.StatusSettled || entry.Cost != 31_715 || entry.OpenAIRequestID != "req_1" || entry.ImageOutputTokens != 1056 {
			t.Errorf("ledger row = %+v", entry)
		}
		var usage models.EndpointUserUsage
		if err := db.NewSelect().Model(&usage).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if usage.Usage != 1 || usage.Cost != 31_715 || usage.GuildID != "555" {
			t.Errorf("roll-up = %+v", usage)
		}

		if _, err := meter.Settle(ctx, r, metering.Outcome{}); !errors.Is(err, metering.ErrNotPending) {
			t.Errorf("second Settle error = %v, want ErrNotPending", err)
		}
	})
}

func TestAdmitReplayIsChargedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		meter := metering.New(db, metering.Options{})
		first, err := meter.Admit(ctx, imageCharge("i1"))
		if err != nil {
			t.Fatal(err)
		}
		second, err := meter.Admit(ctx, imageCharge("i1"))
		if err != nil {
			t.Fatal(err)
		}
		if !second.Replayed || second.Entry.ID != first.Entry.ID {
			t.Errorf("second admission = replayed %v, row %d; want a replay of row %d", second.Replayed, second.Entry.ID, first.Entry.ID)
		}
		count, err := db.NewSelect().Model((*models.LedgerEntry)(nil)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if count != 1 {
			t.Errorf("ledger rows = %d, want 1", count)
		}
	})
}

func TestReleaseCostsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		meter := metering.New(db, metering.Options{})
		r, err := meter.Admit(ctx, imageCharge("i1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := meter.Release(ctx, r, "moderation", 1); err != nil {
			t.Fatalf("Release: %v", err)
		}
		var entry models.LedgerEntry
		if err := db.NewSelect().Model(&entry).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if entry.Status != models.StatusFailed || entry.Cost != 0 || entry.Failure != "moderation" {
			t.Errorf("ledger row = status %s cost %d failure %q", entry.Status, entry.Cost, entry.Failure)
		}
		rollups, err := db.NewSelect().Model((*models.EndpointUserUsage)(nil)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rollups != 0 {
			t.Errorf("roll-up rows = %d, want 0", rollups)
		}
	})
}

// TestConcurrentAdmissionsHoldLimit sends ten admissions at once for a
// member limited to three requests a day.
func TestConcurrentAdmissionsHoldLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		meter := metering.New(db, metering.Options{DefaultDailyRequests: 3})
		var admitted, refused atomic.Int32
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := meter.Admit(ctx, imageCharge(fmt.Sprintf("i%d", i)))
				if refusal, ok := metering.AsRefusal(err); ok {
					if refusal.Reason != metering.ReasonRateLimited {
						t.Errorf("refusal reason = %s", refusal.Reason)
					}
					refused.Add(1)
					return
				}
				if err != nil {
					t.Errorf("Admit: %v", err)
					return
				}
				admitted.Add(1)
			}()
		}
		wg.Wait()
		if admitted.Load() != 3 || refused.Load() != 7 {
			t.Errorf("admitted %d, refused %d; want 3 and 7", admitted.Load(), refused.Load())
		}
	})
}

func TestRecoverSettlesStaleRowsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		meter := metering.New(db, metering.Options{Now: clock})
		if _, err := meter.Admit(ctx, imageCharge("i1")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(20 * time.Minute)

		var total atomic.Int32
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := metering.New(db, metering.Options{Now: clock})
				n, err := other.Recover(ctx, 15*time.Minute)
				if err != nil {
					t.Errorf("Recover: %v", err)
				}
				total.Add(int32(n))
			}()
		}
		wg.Wait()
		if total.Load() != 1 {
			t.Errorf("recovered %d rows in all, want 1", total.Load())
		}
		var usage models.EndpointUserUsage
		if err := db.NewSelect().Model(&usage).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if usage.Usage != 1 || usage.Cost != 31_730 {
			t.Errorf("roll-up = %d requests, %s; want 1 at the estimate $0.03173", usage.Usage, usage.Cost)
		}
	})
}
