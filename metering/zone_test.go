package metering_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// flatChargeBy returns a charge priced by insertFlatPrice's flat-model.
func flatChargeBy(discordUserID, guildID string) metering.Charge {
	c := chargeBy(discordUserID, guildID)
	c.Model, c.Size, c.Quality = "flat-model", "", ""
	c.Expected = models.Tokens{}
	return c
}

// TestDayBucketsInZone settles calls late in the evening and just after
// midnight, local time, and expects each in the roll-up row of its local
// day. In both zones local midnight and UTC midnight fall between
// different calls, so days computed in UTC would put a call in the wrong
// row.
func TestDayBucketsInZone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		insertFlatPrice(t, db, "flat-model", 40_000)

		tests := []struct {
			zone  string
			calls []string // local wall-clock times
			want  []string // day and request count of each roll-up row
		}{
			{"America/Los_Angeles", []string{
				"2026-12-04 23:30", // 07:30 UTC on 5 December
				"2026-12-05 00:30",
				"2026-12-05 00:45",
				"2026-03-08 23:30", // the 23-hour day when DST starts
				"2026-11-01 23:30", // the 25-hour day when DST ends
			}, []string{"2026-03-08 1", "2026-11-01 1", "2026-12-04 1", "2026-12-05 2"}},
			{"Asia/Tokyo", []string{
				"2026-12-04 23:30",
				"2026-12-05 00:30", // 15:30 UTC on 4 December
				"2026-12-05 00:45",
			}, []string{"2026-12-04 1", "2026-12-05 2"}},
		}
		for i, tt := range tests {
			t.Run(tt.zone, func(t *testing.T) {
				zone := mustZone(t, tt.zone)
				discordID := fmt.Sprintf("%d", 5000+i)
				guildID := fmt.Sprintf("8%02d", i)
				clock := &testClock{}
				meter := newClockedMeter(db, clock, zone, metering.Options{})

				for _, wall := range tt.calls {
					at, err := time.ParseInLocation("2006-01-02 15:04", wall, zone)
					if err != nil {
						t.Fatal(err)
					}
					r, err := admitAt(ctx, t, meter, clock, at, flatChargeBy(discordID, guildID))
					if err != nil {
						t.Fatalf("Admit at %s: %v", wall, err)
					}
					if want := wall[:len(time.DateOnly)]; r.Entry.Day != want {
						t.Errorf("ledger day of the call at %s = %s, want %s", wall, r.Entry.Day, want)
					}
					clock.Set(at.Add(time.Minute))
					if _, err := meter.Settle(ctx, r, metering.Outcome{Units: 1}); err != nil {
						t.Fatalf("Settle: %v", err)
					}
				}

				for _, table := range []string{"endpoint_user_usage_table", "endpoint_usage_table"} {
					var rows []string
					err := db.NewRaw("SELECT CAST(date AS TEXT) || ' ' || usage FROM "+table+" WHERE guild_id = ? ORDER BY date", guildID).
						Scan(ctx, &rows)
					if err != nil {
						t.Fatalf("read %s: %v", table, err)
					}
					if diff := cmp.Diff(rows, tt.want); diff != "" {
						t.Errorf("%s rows (-got +want):\n%s", table, diff)
					}
				}
			})
		}
	})
}

// TestDailyBudgetResetsAtLocalMidnight fills a member's daily budget late
// in the local day and expects it to be available again at local midnight,
// on an ordinary day and on the 25-hour day when DST ends.
func TestDailyBudgetResetsAtLocalMidnight(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		insertFlatPrice(t, db, "flat-model", 40_000)
		la := mustZone(t, "America/Los_Angeles")

		tests := []struct {
			name     string
			first    time.Time // the first call of the day
			midnight time.Time // the end of that local day
		}{
			{"ordinary day", time.Date(2026, 12, 4, 23, 0, 0, 0, la), time.Date(2026, 12, 5, 0, 0, 0, 0, la)},
			{"25-hour day", time.Date(2026, 11, 1, 0, 30, 0, 0, la), time.Date(2026, 11, 2, 0, 0, 0, 0, la)},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				discordID := fmt.Sprintf("%d", 5100+i)
				clock := &testClock{}
				// Two calls at $0.04 fill $0.08.
				meter := newClockedMeter(db, clock, la, metering.Options{DefaultDailyBudget: 80_000})

				// The second call is at 23:30 local time, which is already
				// the next day in UTC.
				for _, at := range []time.Time{tt.first, tt.midnight.Add(-30 * time.Minute)} {
					r, err := admitAt(ctx, t, meter, clock, at, flatChargeBy(discordID, "555"))
					if err != nil {
						t.Fatalf("Admit at %s: %v", at, err)
					}
					if _, err := meter.Settle(ctx, r, metering.Outcome{Units: 1}); err != nil {
						t.Fatalf("Settle: %v", err)
					}
				}

				last := tt.midnight.Add(-time.Millisecond)
				r, err := admitAt(ctx, t, meter, clock, last, flatChargeBy(discordID, "555"))
				if got := describeAdmission(t, r, err); got != "over_budget" {
					t.Fatalf("call at %s: got %s, want over_budget", last, got)
				}
				if retryAt := refusalOf(t, err).RetryAt; !retryAt.Equal(tt.midnight) {
					t.Errorf("RetryAt = %s, want local midnight %s", stamp(retryAt), stamp(tt.midnight))
				}

				r, err = admitAt(ctx, t, meter, clock, tt.midnight, flatChargeBy(discordID, "555"))
				if got := describeAdmission(t, r, err); got != "admitted" {
					t.Errorf("call at local midnight: got %s, want admitted", got)
				}
			})
		}
	})
}
