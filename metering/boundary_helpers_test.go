package metering_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	// The zone tests must not depend on the machine's zoneinfo files.
	_ "time/tzdata"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// testClock is a settable clock for metering.Options.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	zone, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return zone
}

// newClockedMeter returns a meter on db that reads the clock, with days in
// zone, and discards its log, where tests before a price's effective date
// would print a warning per request.
func newClockedMeter(db *bun.DB, clock *testClock, zone *time.Location, opts metering.Options) *metering.Meter {
	opts.Now = clock.Now
	opts.Zone = zone
	opts.Logger = slog.New(slog.DiscardHandler)
	return metering.New(db, opts)
}

// interactionIDs numbers interactions across a test binary, so that no two
// charges in one database share an interaction ID by accident.
var interactionIDs atomic.Int64

// chargeBy returns a one-image charge by the Discord user in the server
// (models.DMGuildID for a direct message), under a fresh interaction ID.
func chargeBy(discordUserID, guildID string) metering.Charge {
	c := imageCharge(fmt.Sprintf("b%d", interactionIDs.Add(1)))
	c.Caller.DiscordUserID = discordUserID
	c.Caller.GuildID = guildID
	return c
}

// mustMember inserts the Discord user and returns their usernames_table
// row ID, for setting limits on them before their first request.
func mustMember(t *testing.T, db *bun.DB, discordUserID string) int64 {
	t.Helper()
	user, err := models.UpsertUser(context.Background(), db, discordUserID, "member"+discordUserID, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("insert user %s: %v", discordUserID, err)
	}
	return user.ID
}

// describeAdmission reduces Admit's result to a word a table can hold:
// "admitted", or the refusal reason with the rate limit it names, such as
// "rate_limited 2 per hour". Errors other than refusals fail the test.
func describeAdmission(t *testing.T, r *metering.Reservation, err error) string {
	t.Helper()
	if refusal, ok := metering.AsRefusal(err); ok {
		if refusal.Reason == metering.ReasonRateLimited {
			return fmt.Sprintf("%s %d per %s", refusal.Reason, refusal.Limit, refusal.Period)
		}
		return string(refusal.Reason)
	}
	if err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if r.Replayed {
		return "replayed"
	}
	return "admitted"
}

// admitAt sets the clock to at and admits the charge.
func admitAt(ctx context.Context, t *testing.T, meter *metering.Meter, clock *testClock, at time.Time, charge metering.Charge) (*metering.Reservation, error) {
	t.Helper()
	clock.Set(at)
	return meter.Admit(ctx, charge)
}

// refusalOf returns the refusal in err, failing the test when there is none.
func refusalOf(t *testing.T, err error) *metering.Refusal {
	t.Helper()
	refusal, ok := metering.AsRefusal(err)
	if !ok {
		t.Fatalf("error = %v, want a refusal", err)
	}
	return refusal
}

// stamp formats a time in UTC for failure messages and comparisons.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
