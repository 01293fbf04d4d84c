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

// TestBlacklistScope checks where an entry blocks: a server's entry only in
// that server, a global one in every server and in direct messages, and
// neither once lifted, from the instant of the lift.
func TestBlacklistScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		addAt := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		checkAt := addAt.Add(time.Hour)
		liftAt := addAt.Add(2 * time.Hour)

		places := []string{"555", "666", models.DMGuildID}
		tests := []struct {
			name  string
			scope string
			// want is the outcome in 555, 666 and DMs before the lift.
			want []string
		}{
			{"server entry", "555", []string{"blacklisted", "admitted", "admitted"}},
			{"global entry", models.GlobalGuildID, []string{"blacklisted", "blacklisted", "blacklisted"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				discordID := fmt.Sprintf("%d", 4000+i)
				member := mustMember(t, db, discordID)
				p := models.BlacklistParams{UserID: member, GuildID: tt.scope, Reason: "spam"}
				if _, err := models.AddBlacklistEntry(ctx, db, p, addAt); err != nil {
					t.Fatalf("AddBlacklistEntry: %v", err)
				}
				clock := &testClock{}
				meter := newClockedMeter(db, clock, time.UTC, metering.Options{})

				for n, guildID := range places {
					r, err := admitAt(ctx, t, meter, clock, checkAt, chargeBy(discordID, guildID))
					if got := describeAdmission(t, r, err); got != tt.want[n] {
						t.Errorf("before the lift, in %q: got %s, want %s", guildID, got, tt.want[n])
					}
					if tt.want[n] == "blacklisted" && refusalOf(t, err).Note != "spam" {
						t.Errorf("before the lift, in %q: refusal note = %q, want the moderator's reason", guildID, refusalOf(t, err).Note)
					}
				}

				if _, err := models.LiftBlacklist(ctx, db, member, tt.scope, nil, "appeal", liftAt); err != nil {
					t.Fatalf("LiftBlacklist: %v", err)
				}
				for _, guildID := range places {
					r, err := admitAt(ctx, t, meter, clock, liftAt, chargeBy(discordID, guildID))
					if got := describeAdmission(t, r, err); got != "admitted" {
						t.Errorf("at the instant of the lift, in %q: got %s, want admitted", guildID, got)
					}
				}
			})
		}
	})
}

// TestLiftInServerKeepsGlobalEntry lifts a member's server entry while an
// operator's global entry is in force, so the member stays blocked there.
func TestLiftInServerKeepsGlobalEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		addAt := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		member := mustMember(t, db, "333")
		reasons := map[string]string{"555": "spam in 555", models.GlobalGuildID: "fraud"}
		for scope, reason := range reasons {
			p := models.BlacklistParams{UserID: member, GuildID: scope, Reason: reason}
			if _, err := models.AddBlacklistEntry(ctx, db, p, addAt); err != nil {
				t.Fatalf("AddBlacklistEntry in %q: %v", scope, err)
			}
		}
		liftAt := addAt.Add(time.Hour)
		if _, err := models.LiftBlacklist(ctx, db, member, "555", nil, "", liftAt); err != nil {
			t.Fatalf("LiftBlacklist: %v", err)
		}

		clock := &testClock{}
		meter := newClockedMeter(db, clock, time.UTC, metering.Options{})
		r, err := admitAt(ctx, t, meter, clock, liftAt, chargeBy("333", "555"))
		if got := describeAdmission(t, r, err); got != "blacklisted" {
			t.Fatalf("in 555 after the server lift: got %s, want blacklisted", got)
		}
		if note := refusalOf(t, err).Note; note != "fraud" {
			t.Errorf("refusal note = %q, want the global entry's reason", note)
		}
	})
}
