package commands

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// standingNow is a Thursday, mid-morning in UTC.
var standingNow = time.Date(2026, 12, 10, 10, 30, 0, 0, time.UTC)

// standingEnv is a database with a meter and the deps /usage reads it
// with, both on the same clock and defaults.
type standingEnv struct {
	db    *bun.DB
	deps  *Deps
	meter *metering.Meter
	next  int
}

func newStandingEnv(t *testing.T, db *bun.DB, defaults DefaultLimits) *standingEnv {
	t.Helper()
	now := func() time.Time { return standingNow }
	meter := metering.New(db, metering.Options{
		Zone: time.UTC, Now: now, Logger: slog.New(slog.DiscardHandler),
		DefaultDailyRequests: defaults.DailyRequests, DefaultDailyBudget: defaults.DailyBudget, GlobalMonthlyBudget: defaults.GlobalMonthlyBudget,
	})
	deps := &Deps{DB: db, Zone: time.UTC, Now: now, Defaults: defaults}
	return &standingEnv{db: db, deps: deps, meter: meter}
}

// admit admits one /imagine by the user in the server and returns the
// reservation, failing the test on a refusal.
func (s *standingEnv) admit(t *testing.T, discordUserID, guildID string) *metering.Reservation {
	t.Helper()
	s.next++
	r, err := s.meter.Admit(context.Background(), metering.Charge{
		InteractionID: fmt.Sprintf("standing-%d", s.next),
		Caller:        metering.Caller{DiscordUserID: discordUserID, Username: "user" + discordUserID, GuildID: guildID},
		Endpoint:      models.EndpointImagesGenerate,
		Model:         "gpt-image-2",
		Units:         1,
		Expected:      models.Tokens{TextInput: 10, ImageOutput: 1056},
	})
	if err != nil {
		t.Fatalf("admit a request by %s in %s: %v", discordUserID, guildID, err)
	}
	return r
}

func (s *standingEnv) userID(t *testing.T, discordUserID string) int64 {
	t.Helper()
	u, err := models.FindUserByDiscordID(context.Background(), s.db, discordUserID)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestStandingMatchesAdmission compares what /usage reports with what
// admission computes for the next request: the requests left under the
// tightest limit and the budget left under the tightest cap.
func TestStandingMatchesAdmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newStandingEnv(t, db, DefaultLimits{DailyRequests: 5, DailyBudget: 2 * models.MicroPerUSD})

		// One settled request in 555, one still pending, and one in 666
		// that must not count in 555.
		settled := s.admit(t, "333", "555")
		if _, err := s.meter.Settle(ctx, settled, metering.Outcome{Tokens: models.Tokens{TextInput: 10, ImageOutput: 900}, Units: 1}); err != nil {
			t.Fatal(err)
		}
		s.admit(t, "333", "555")
		s.admit(t, "333", "666")
		alice := s.userID(t, "333")

		st, err := memberStanding(ctx, s.deps, alice, "555", standingNow)
		if err != nil {
			t.Fatalf("memberStanding: %v", err)
		}
		if len(st.Limits) != 1 || st.Limits[0].Source != sourceConfigured || st.Limits[0].Used != 2 || st.Limits[0].Limit != 5 {
			t.Fatalf("limits = %+v, want Tally's default with 2 of 5 used", st.Limits)
		}
		if len(st.Caps) != 1 || st.Caps[0].Scope != models.ScopeMember || !st.Caps[0].Configured {
			t.Fatalf("caps = %+v, want the configured member budget", st.Caps)
		}
		if want := time.Date(2026, 12, 11, 0, 0, 0, 0, time.UTC); !st.Limits[0].ResetsAt.Equal(want) || !st.Caps[0].ResetsAt.Equal(want) {
			t.Errorf("resets at %v and %v, want %v", st.Limits[0].ResetsAt, st.Caps[0].ResetsAt, want)
		}

		next := s.admit(t, "333", "555")
		got, want := next.Allowance, metering.Allowance{
			HasRequestLimit: true, RequestsLeft: st.Limits[0].Limit - int(st.Limits[0].Used) - 1, RequestPeriod: models.PeriodDay,
			HasBudget: true, BudgetLeft: st.Caps[0].Amount - st.Caps[0].Spent - next.Entry.Estimate, BudgetPeriod: models.PeriodDay,
		}
		if got != want {
			t.Errorf("admission's allowance = %+v, /usage implies %+v", got, want)
		}
	})
}

// TestStandingPicksLimits checks which rate limits and caps apply, and in
// which order, for the rules admission follows.
func TestStandingPicksLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		s := newStandingEnv(t, db, DefaultLimits{DailyRequests: 5, GlobalMonthlyBudget: 500 * models.MicroPerUSD})
		s.admit(t, "333", "555")
		s.admit(t, "444", "555")
		alice, bob := s.userID(t, "333"), s.userID(t, "444")
		earlier := standingNow.Add(-time.Hour)

		set := func(p models.RateLimitParams) {
			t.Helper()
			if _, err := models.SetRateLimit(ctx, db, p, earlier); err != nil {
				t.Fatal(err)
			}
		}
		set(models.RateLimitParams{GuildID: "555", Limit: 20, Period: models.PeriodWeek, Reason: "server"})
		set(models.RateLimitParams{UserID: &alice, GuildID: "555", Limit: 3, Period: models.PeriodHour, Reason: "calm down", Until: standingNow.Add(48 * time.Hour)})
		set(models.RateLimitParams{UserID: &alice, GuildID: models.GlobalGuildID, Limit: 50, Period: models.PeriodDay})
		serverCap := models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodMonth, Amount: 40 * models.MicroPerUSD}
		if _, err := models.SetBudget(ctx, db, serverCap, earlier); err != nil {
			t.Fatal(err)
		}
		if _, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{UserID: bob, GuildID: "555", Reason: "spam"}, earlier); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name      string
			userID    int64
			limits    string
			caps      string
			blocked   bool
			blockNote string
		}{
			{name: "own limit and an operator's on top", userID: alice,
				limits: "member's own limit 3/hour used 1; operator's limit in every server 50/day used 1",
				caps:   "server/month $40.00; global/month $500.00"},
			{name: "server default for a blocked member", userID: bob, blocked: true, blockNote: "spam",
				limits: "server's default 20/week used 1",
				caps:   "server/month $40.00; global/month $500.00"},
			{name: "member never seen", userID: 0,
				limits: "server's default 20/week used 0",
				caps:   "server/month $40.00; global/month $500.00"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, err := memberStanding(ctx, s.deps, tt.userID, "555", standingNow)
				if err != nil {
					t.Fatalf("memberStanding: %v", err)
				}
				var limits, caps string
				for i, l := range st.Limits {
					if i > 0 {
						limits += "; "
					}
					limits += fmt.Sprintf("%s %d/%s used %d", l.Source, l.Limit, l.Period, l.Used)
				}
				for i, c := range st.Caps {
					if i > 0 {
						caps += "; "
					}
					caps += fmt.Sprintf("%s/%s %s", c.Scope, c.Period, c.Amount)
				}
				if limits != tt.limits {
					t.Errorf("limits = %q, want %q", limits, tt.limits)
				}
				if caps != tt.caps {
					t.Errorf("caps = %q, want %q", caps, tt.caps)
				}
				if blocked := st.Block != nil; blocked != tt.blocked {
					t.Fatalf("blocked = %v, want %v", blocked, tt.blocked)
				}
				if tt.blocked && st.Block.Reason != tt.blockNote {
					t.Errorf("block reason = %q, want %q", st.Block.Reason, tt.blockNote)
				}
			})
		}
	})
}
