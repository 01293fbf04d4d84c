package metering_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// TestRateLimitWindowEdges fills a window of two requests in its last
// millisecond and expects the third refused until exactly the next window's
// start. A request one millisecond before the window belongs to the
// previous one and must not count.
func TestRateLimitWindowEdges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		la := mustZone(t, "America/Los_Angeles")
		tokyo := mustZone(t, "Asia/Tokyo")
		kolkata := mustZone(t, "Asia/Kolkata")

		tests := []struct {
			name   string
			zone   *time.Location
			period models.Period
			// start is the window the requests fill, and end the next
			// window's start.
			start, end time.Time
		}{
			{"hour in UTC", time.UTC, models.PeriodHour,
				time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC)},
			{"hour in a half-hour zone", kolkata, models.PeriodHour,
				time.Date(2026, 12, 4, 10, 0, 0, 0, kolkata), time.Date(2026, 12, 4, 11, 0, 0, 0, kolkata)},
			// On 1 November 2026 Los Angeles goes from 01:59:59 PDT back to
			// 01:00 PST: 01:00 to 02:00 PST is 09:00 to 10:00 UTC.
			{"hour repeated when DST ends", la, models.PeriodHour,
				time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
			{"day in UTC", time.UTC, models.PeriodDay,
				time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)},
			{"day in Los Angeles", la, models.PeriodDay,
				time.Date(2026, 12, 4, 0, 0, 0, 0, la), time.Date(2026, 12, 5, 0, 0, 0, 0, la)},
			{"day in Tokyo", tokyo, models.PeriodDay,
				time.Date(2026, 12, 4, 0, 0, 0, 0, tokyo), time.Date(2026, 12, 5, 0, 0, 0, 0, tokyo)},
			{"23-hour day when DST starts", la, models.PeriodDay,
				time.Date(2026, 3, 8, 0, 0, 0, 0, la), time.Date(2026, 3, 9, 0, 0, 0, 0, la)},
			{"25-hour day when DST ends", la, models.PeriodDay,
				time.Date(2026, 11, 1, 0, 0, 0, 0, la), time.Date(2026, 11, 2, 0, 0, 0, 0, la)},
			{"week in UTC", time.UTC, models.PeriodWeek,
				time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
			{"week in Tokyo", tokyo, models.PeriodWeek,
				time.Date(2026, 11, 30, 0, 0, 0, 0, tokyo), time.Date(2026, 12, 7, 0, 0, 0, 0, tokyo)},
			{"week across DST end", la, models.PeriodWeek,
				time.Date(2026, 10, 26, 0, 0, 0, 0, la), time.Date(2026, 11, 2, 0, 0, 0, 0, la)},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				discordID := fmt.Sprintf("%d", 1000+i)
				member := mustMember(t, db, discordID)
				limit := models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 2, Period: tt.period}
				if _, err := models.SetRateLimit(ctx, db, limit, tt.start.AddDate(0, 0, -8)); err != nil {
					t.Fatalf("SetRateLimit: %v", err)
				}
				clock := &testClock{}
				meter := newClockedMeter(db, clock, tt.zone, metering.Options{})

				last := tt.end.Add(-time.Millisecond)
				if got := metering.WindowStart(last, tt.period, tt.zone); !got.Equal(tt.start) {
					t.Errorf("WindowStart(%s) = %s, want %s", stamp(last), stamp(got), stamp(tt.start))
				}
				refused := fmt.Sprintf("rate_limited 2 per %s", tt.period)
				steps := []struct {
					at   time.Time
					want string
				}{
					{tt.start.Add(-time.Millisecond), "admitted"},
					{last, "admitted"},
					{last, "admitted"},
					{last, refused},
					// Requests at exactly the next window's start count in
					// that window, and fill it too.
					{tt.end, "admitted"},
					{tt.end, "admitted"},
					{tt.end, refused},
				}
				for n, step := range steps {
					r, err := admitAt(ctx, t, meter, clock, step.at, chargeBy(discordID, "555"))
					got := describeAdmission(t, r, err)
					if got != step.want {
						t.Fatalf("request %d at %s: got %s, want %s", n+1, stamp(step.at), got, step.want)
					}
					if got != refused || !step.at.Equal(last) {
						continue
					}
					if retryAt := refusalOf(t, err).RetryAt; !retryAt.Equal(tt.end) {
						t.Errorf("request %d: RetryAt = %s, want the next window's start %s", n+1, stamp(retryAt), stamp(tt.end))
					}
				}
			})
		}
	})
}

// TestEndDateStopsAtInstant puts each kind of entry in force until 15:00
// and expects it to block one nanosecond before and not at 15:00. Each
// case runs in its own server, so a server default cannot reach another
// case's member.
func TestEndDateStopsAtInstant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		setAt := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
		end := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)

		// limitUntilEnd sets a limit of one request a day in the scope,
		// on the member or, with perMember false, as the server default.
		limitUntilEnd := func(scopeGuildID string, perMember bool) func(member int64) error {
			return func(member int64) error {
				p := models.RateLimitParams{GuildID: scopeGuildID, Limit: 1, Period: models.PeriodDay, Until: end}
				if perMember {
					p.UserID = &member
				}
				_, err := models.SetRateLimit(ctx, db, p, setAt)
				return err
			}
		}
		blacklistUntilEnd := func(scopeGuildID string) func(member int64) error {
			return func(member int64) error {
				p := models.BlacklistParams{UserID: member, GuildID: scopeGuildID, Until: end}
				_, err := models.AddBlacklistEntry(ctx, db, p, setAt)
				return err
			}
		}
		tests := []struct {
			name    string
			guildID string
			// set puts the entry in force for the member until end.
			set func(member int64) error
			// fill is whether one request at 09:00 must fill a limit of
			// one before the entry blocks.
			fill bool
			want string
		}{
			{"member rate limit", "5551", limitUntilEnd("5551", true), true, "rate_limited 1 per day"},
			{"server default rate limit", "5552", limitUntilEnd("5552", false), true, "rate_limited 1 per day"},
			{"global member rate limit", "5553", limitUntilEnd(models.GlobalGuildID, true), true, "rate_limited 1 per day"},
			{"server blacklist", "5554", blacklistUntilEnd("5554"), false, "blacklisted"},
			{"global blacklist", "5555", blacklistUntilEnd(models.GlobalGuildID), false, "blacklisted"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				discordID := fmt.Sprintf("%d", 2000+i)
				if err := tt.set(mustMember(t, db, discordID)); err != nil {
					t.Fatalf("put the entry in force: %v", err)
				}
				clock := &testClock{}
				meter := newClockedMeter(db, clock, time.UTC, metering.Options{})

				if tt.fill {
					r, err := admitAt(ctx, t, meter, clock, end.Add(-6*time.Hour), chargeBy(discordID, tt.guildID))
					if got := describeAdmission(t, r, err); got != "admitted" {
						t.Fatalf("request at 09:00: got %s, want admitted", got)
					}
				}

				r, err := admitAt(ctx, t, meter, clock, end.Add(-time.Nanosecond), chargeBy(discordID, tt.guildID))
				if got := describeAdmission(t, r, err); got != tt.want {
					t.Fatalf("request 1ns before the end: got %s, want %s", got, tt.want)
				}
				// The entry ends before the day does, so the member may
				// retry at the end date, not at midnight.
				if retryAt := refusalOf(t, err).RetryAt; !retryAt.Equal(end) {
					t.Errorf("request 1ns before the end: RetryAt = %s, want the end date %s", stamp(retryAt), stamp(end))
				}

				r, err = admitAt(ctx, t, meter, clock, end, chargeBy(discordID, tt.guildID))
				if got := describeAdmission(t, r, err); got != "admitted" {
					t.Errorf("request at the end date: got %s, want admitted", got)
				}
			})
		}
	})
}
