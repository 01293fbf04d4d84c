package metering_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// mustInsertPrice adds a price for image generations and returns its row ID.
func mustInsertPrice(t *testing.T, db bun.IDB, p models.Price) int64 {
	t.Helper()
	if err := models.InsertPrice(context.Background(), db, models.EndpointImagesGenerate, &p); err != nil {
		t.Fatalf("InsertPrice(%+v): %v", p, err)
	}
	return p.ID
}

// TestPriceVariesByCall admits and settles image calls that differ only in
// size, quality, image count or model, and expects each at the price row
// that matches it.
func TestPriceVariesByCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		lowSquare := mustInsertPrice(t, db, models.Price{Model: "test-image", Size: "1024x1024", Quality: "low", Date: from, PerImage: 11_000})
		highSquare := mustInsertPrice(t, db, models.Price{Model: "test-image", Size: "1024x1024", Quality: "high", Date: from, PerImage: 167_000})
		highWide := mustInsertPrice(t, db, models.Price{Model: "test-image", Size: "1536x1024", Quality: "high", Date: from, PerImage: 250_000})
		mini := mustInsertPrice(t, db, models.Price{Model: "test-image-mini", Date: from, PerRequest: 1_000, PerImage: 6_000})
		var seeded int64
		if err := db.NewSelect().Model((*models.Price)(nil)).Column("id").Where("model = 'gpt-image-2' AND endpoint = 1").Scan(ctx, &seeded); err != nil {
			t.Fatalf("find the seeded gpt-image-2 price: %v", err)
		}

		tests := []struct {
			name      string
			model     string
			size      string
			quality   string
			units     int
			tokens    models.Tokens
			wantPrice int64
			want      models.MicroUSD
		}{
			{"low quality square", "test-image", "1024x1024", "low", 1, models.Tokens{}, lowSquare, 11_000},
			{"high quality square", "test-image", "1024x1024", "high", 1, models.Tokens{}, highSquare, 167_000},
			{"four high quality squares", "test-image", "1024x1024", "high", 4, models.Tokens{}, highSquare, 668_000},
			{"high quality landscape", "test-image", "1536x1024", "high", 1, models.Tokens{}, highWide, 250_000},
			{"smaller model, two images", "test-image-mini", "1024x1024", "high", 2, models.Tokens{}, mini, 13_000},
			// $5 per million text input tokens and $30 per million image
			// output tokens: 10 × 5 + 1056 × 30 = 31,730 µ$, and with
			// 4160 output tokens 124,850 µ$.
			{"token-priced square", "gpt-image-2", "1024x1024", "medium", 1, models.Tokens{TextInput: 10, ImageOutput: 1056}, seeded, 31_730},
			{"token-priced large image", "gpt-image-2", "1536x1024", "high", 1, models.Tokens{TextInput: 10, ImageOutput: 4160}, seeded, 124_850},
		}
		clock := &testClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
		meter := newClockedMeter(db, clock, time.UTC, metering.Options{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				charge := chargeBy("333", "555")
				charge.Model, charge.Size, charge.Quality = tt.model, tt.size, tt.quality
				charge.Units, charge.Expected = tt.units, tt.tokens

				r, err := meter.Admit(ctx, charge)
				if err != nil {
					t.Fatalf("Admit: %v", err)
				}
				if r.Entry.PriceID == nil || *r.Entry.PriceID != tt.wantPrice {
					t.Errorf("price row = %v, want %d", r.Entry.PriceID, tt.wantPrice)
				}
				if r.Entry.Estimate != tt.want {
					t.Errorf("estimate = %d µ$, want %d", r.Entry.Estimate, tt.want)
				}
				cost, err := meter.Settle(ctx, r, metering.Outcome{Units: tt.units, Tokens: tt.tokens})
				if err != nil {
					t.Fatalf("Settle: %v", err)
				}
				if cost != tt.want {
					t.Errorf("cost = %d µ$, want %d", cost, tt.want)
				}
			})
		}
	})
}

// TestPriceChangeKeepsHistory raises a price today, effective from today's
// midnight, and expects yesterday's settled call and today's call admitted
// before the change to keep the old price, and only calls admitted after
// the change to pay the new one.
func TestPriceChangeKeepsHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		yesterday := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
		today := yesterday.AddDate(0, 0, 1)
		oldPrice := mustInsertPrice(t, db, models.Price{Model: "test-image", Date: yesterday.AddDate(0, 0, -30), PerImage: 40_000})
		clock := &testClock{}
		meter := newClockedMeter(db, clock, time.UTC, metering.Options{})

		charge := func(interactionID string) metering.Charge {
			c := chargeBy("333", "555")
			c.InteractionID = interactionID
			c.Model, c.Size, c.Quality, c.Expected = "test-image", "1024x1024", "high", models.Tokens{}
			return c
		}
		settle := func(r *metering.Reservation, at time.Time) {
			t.Helper()
			clock.Set(at)
			if _, err := meter.Settle(ctx, r, metering.Outcome{Units: 1}); err != nil {
				t.Fatalf("Settle %s: %v", r.Entry.InteractionID, err)
			}
		}
		admit := func(interactionID string, at time.Time) *metering.Reservation {
			t.Helper()
			r, err := admitAt(ctx, t, meter, clock, at, charge(interactionID))
			if err != nil {
				t.Fatalf("Admit %s: %v", interactionID, err)
			}
			return r
		}

		settle(admit("yesterday", yesterday.Add(12*time.Hour)), yesterday.Add(12*time.Hour+time.Minute))
		before := admit("before-change", today.Add(9*time.Hour))
		admit("recovered", today.Add(9*time.Hour+30*time.Minute)) // its process dies before settling

		// At 12:00 the operator raises the price, effective from midnight.
		newPrice := mustInsertPrice(t, db, models.Price{Model: "test-image", Date: today, PerImage: 60_000})

		settle(before, today.Add(13*time.Hour))
		settle(admit("after-change", today.Add(14*time.Hour)), today.Add(14*time.Hour+time.Minute))
		clock.Set(today.Add(15 * time.Hour))
		if n, err := meter.Recover(ctx, time.Hour); err != nil || n != 1 {
			t.Fatalf("Recover = %d, %v; want 1 row recovered", n, err)
		}

		type ledgerRow struct {
			InteractionID string
			Status        models.LedgerStatus
			PriceID       int64
			Cost          models.MicroUSD
		}
		var entries []models.LedgerEntry
		if err := db.NewSelect().Model(&entries).Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		var got []ledgerRow
		for _, e := range entries {
			row := ledgerRow{InteractionID: e.InteractionID, Status: e.Status, Cost: e.Cost}
			if e.PriceID != nil {
				row.PriceID = *e.PriceID
			}
			got = append(got, row)
		}
		want := []ledgerRow{
			{"yesterday", models.StatusSettled, oldPrice, 40_000},
			{"before-change", models.StatusSettled, oldPrice, 40_000},
			{"recovered", models.StatusUncertain, oldPrice, 40_000},
			{"after-change", models.StatusSettled, newPrice, 60_000},
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("ledger (-got +want):\n%s", diff)
		}

		var days []string
		err := db.NewRaw("SELECT CAST(date AS TEXT) || ' ' || usage || ' ' || cost_micro_usd FROM endpoint_user_usage_table ORDER BY date").
			Scan(ctx, &days)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(days, []string{"2026-12-03 1 40000", "2026-12-04 3 140000"}); diff != "" {
			t.Errorf("daily roll-ups as day, requests, µ$ (-got +want):\n%s", diff)
		}
	})
}
