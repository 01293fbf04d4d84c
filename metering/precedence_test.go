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

// TestRateLimitPrecedence checks which limits apply where: in a server the
// member's own limit wins over the server's default, which wins over the
// configured daily default, and an operator's global limit on the member
// applies on top everywhere. Each case has its own member and servers.
func TestRateLimitPrecedence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		setAt := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
		requestAt := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

		// Servers are named in the table and numbered per case: "home",
		// "other", "dm" for direct messages and "global" for the scope of
		// an operator's entry.
		type limit struct {
			scope     string
			perMember bool
			count     int
			period    models.Period
		}
		type request struct {
			where string
			want  string
		}
		tests := []struct {
			name         string
			defaultDaily int
			limits       []limit
			requests     []request
		}{
			{"configured default alone", 2, nil, []request{
				{"home", "admitted"}, {"home", "admitted"}, {"home", "rate_limited 2 per day"}, {"other", "admitted"},
			}},
			{"server default beats configured default", 2, []limit{{"home", false, 3, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "admitted"}, {"home", "admitted"}, {"home", "rate_limited 3 per day"},
			}},
			{"lower server default beats configured default", 5, []limit{{"home", false, 1, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "rate_limited 1 per day"},
			}},
			{"member limit beats server default", 0, []limit{{"home", false, 1, models.PeriodDay}, {"home", true, 3, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "admitted"}, {"home", "admitted"}, {"home", "rate_limited 3 per day"},
			}},
			{"lower member limit beats server default", 0, []limit{{"home", true, 1, models.PeriodHour}, {"home", false, 5, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "rate_limited 1 per hour"},
			}},
			{"member limit beats configured default", 1, []limit{{"home", true, 2, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "admitted"}, {"home", "rate_limited 2 per day"},
			}},
			{"global member limit applies on top", 0, []limit{{"home", true, 5, models.PeriodDay}, {"global", true, 2, models.PeriodWeek}}, []request{
				{"home", "admitted"}, {"home", "admitted"}, {"home", "rate_limited 2 per week"},
			}},
			{"global member limit counts every server", 0, []limit{{"global", true, 3, models.PeriodWeek}}, []request{
				{"home", "admitted"}, {"other", "admitted"}, {"dm", "admitted"}, {"home", "rate_limited 3 per week"}, {"dm", "rate_limited 3 per week"},
			}},
			{"server limits stay in their server", 0, []limit{{"home", true, 1, models.PeriodDay}, {"home", false, 1, models.PeriodDay}}, []request{
				{"home", "admitted"}, {"home", "rate_limited 1 per day"}, {"other", "admitted"}, {"dm", "admitted"}, {"other", "admitted"},
			}},
			{"DMs apply only the configured default", 2, []limit{{"home", true, 1, models.PeriodDay}, {"home", false, 1, models.PeriodDay}}, []request{
				{"dm", "admitted"}, {"dm", "admitted"}, {"dm", "rate_limited 2 per day"}, {"home", "admitted"},
			}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				discordID := fmt.Sprintf("%d", 3000+i)
				member := mustMember(t, db, discordID)
				guilds := map[string]string{
					"home":   fmt.Sprintf("7%02d1", i),
					"other":  fmt.Sprintf("7%02d2", i),
					"dm":     models.DMGuildID,
					"global": models.GlobalGuildID,
				}
				for _, l := range tt.limits {
					p := models.RateLimitParams{GuildID: guilds[l.scope], Limit: l.count, Period: l.period}
					if l.perMember {
						p.UserID = &member
					}
					if _, err := models.SetRateLimit(ctx, db, p, setAt); err != nil {
						t.Fatalf("SetRateLimit(%+v): %v", l, err)
					}
				}
				clock := &testClock{}
				meter := newClockedMeter(db, clock, time.UTC, metering.Options{DefaultDailyRequests: tt.defaultDaily})

				for n, req := range tt.requests {
					at := requestAt.Add(time.Duration(n) * time.Second)
					r, err := admitAt(ctx, t, meter, clock, at, chargeBy(discordID, guilds[req.where]))
					if got := describeAdmission(t, r, err); got != req.want {
						t.Errorf("request %d in %s: got %s, want %s", n+1, req.where, got, req.want)
					}
				}
			})
		}
	})
}

// TestLimitCountsPendingNotFailed walks one member limited to two requests
// an hour through admissions, releases and settlements: pending, settled
// and uncertain requests count, failed and refused ones do not, and later
// steps of an admitted interaction are neither limited nor counted.
func TestLimitCountsPendingNotFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		member := mustMember(t, db, "333")
		limit := models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 2, Period: models.PeriodHour}
		if _, err := models.SetRateLimit(ctx, db, limit, start.Add(-time.Hour)); err != nil {
			t.Fatalf("SetRateLimit: %v", err)
		}
		clock := &testClock{}
		meter := newClockedMeter(db, clock, time.UTC, metering.Options{})

		const refused = "rate_limited 2 per hour"
		steps := []struct {
			action string // admit, release, settle, uncertain, or step1 for a second OpenAI call
			id     string
			want   string // for admissions
		}{
			{"admit", "a", "admitted"},
			{"admit", "b", "admitted"},
			{"admit", "c", refused}, // a and b are pending
			{"release", "b", ""},
			{"admit", "d", "admitted"}, // b failed, so a and d count
			{"admit", "e", refused},
			{"release", "d", ""},
			{"admit", "f", "admitted"}, // refused c and e and failed b and d do not count
			{"settle", "a", ""},
			{"admit", "g", refused}, // settled a and pending f count
			{"uncertain", "f", ""},
			{"admit", "h", refused}, // uncertain f still counts
			{"step1", "a", "admitted"},
			{"admit", "i", refused}, // the second call of a is not a new request
		}
		reservations := map[string]*metering.Reservation{}
		for n, step := range steps {
			clock.Set(start.Add(time.Duration(n) * time.Minute))
			charge := chargeBy("333", "555")
			charge.InteractionID = "pending-" + step.id
			var err error
			switch step.action {
			case "admit", "step1":
				if step.action == "step1" {
					charge.Step = 1
				}
				r, admitErr := meter.Admit(ctx, charge)
				if got := describeAdmission(t, r, admitErr); got != step.want {
					t.Fatalf("step %d, %s %s: got %s, want %s", n+1, step.action, step.id, got, step.want)
				}
				if admitErr == nil && step.action == "admit" {
					reservations[step.id] = r
				}
			case "release":
				err = meter.Release(ctx, reservations[step.id], "server_error", 1)
			case "settle":
				_, err = meter.Settle(ctx, reservations[step.id], metering.Outcome{Units: 1, Tokens: models.Tokens{ImageOutput: 1056}})
			case "uncertain":
				err = meter.SettleUncertain(ctx, reservations[step.id], "timeout", 1)
			}
			if err != nil {
				t.Fatalf("step %d, %s %s: %v", n+1, step.action, step.id, err)
			}
		}

		var statuses []string
		err := db.NewSelect().Model((*models.LedgerEntry)(nil)).
			ColumnExpr("interaction_id || ':' || step || ':' || status").
			Order("id").
			Scan(ctx, &statuses)
		if err != nil {
			t.Fatal(err)
		}
		want := "[pending-a:0:settled pending-b:0:failed pending-c:0:refused pending-d:0:failed pending-e:0:refused " +
			"pending-f:0:uncertain pending-g:0:refused pending-h:0:refused pending-a:1:pending pending-i:0:refused]"
		if got := fmt.Sprint(statuses); got != want {
			t.Errorf("ledger rows = %s, want %s", got, want)
		}
	})
}
