package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// reportStart is the instant the report tests treat as now.
var reportStart = time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)

// addUsage records requests and cost on one day, as settlement does.
func addUsage(t *testing.T, db bun.IDB, guildID, endpoint string, userID int64, day string, requests int64, cost models.MicroUSD) {
	t.Helper()
	if err := models.AddUsage(context.Background(), db, guildID, endpoint, userID, day, requests, cost); err != nil {
		t.Fatalf("add usage: %v", err)
	}
}

// addLedgerRow inserts one ledger row and returns it.
func addLedgerRow(t *testing.T, db bun.IDB, row models.LedgerEntry) models.LedgerEntry {
	t.Helper()
	if row.InteractionID == "" {
		row.InteractionID = fmt.Sprintf("in-%d", time.Now().UnixNano())
	}
	if row.Endpoint == "" {
		row.Endpoint = models.EndpointImagesGenerate
	}
	if row.Day == "" {
		row.Day = row.CreatedAt.Format(time.DateOnly)
	}
	row.Model = "gpt-image-2"
	if _, err := db.NewInsert().Model(&row).Exec(context.Background()); err != nil {
		t.Fatalf("insert ledger row: %v", err)
	}
	return row
}

func TestUsageByEndpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := mustUser(t, db, "333")
		bob := mustUser(t, db, "444")
		gen, run := models.EndpointImagesGenerate, models.EndpointAssistantRun

		addUsage(t, db, "555", gen, alice, "2026-12-01", 1, 40_000) // before the range
		addUsage(t, db, "555", gen, alice, "2026-12-04", 2, 80_000) // first day of the range
		addUsage(t, db, "555", gen, alice, "2026-12-04", 1, 40_000) // same day again: one row, summed
		addUsage(t, db, "555", run, alice, "2026-12-10", 3, 9_000)  // last day of the range
		addUsage(t, db, "555", gen, bob, "2026-12-05", 1, 50_000)
		addUsage(t, db, "666", gen, alice, "2026-12-05", 5, 200_000)
		addUsage(t, db, models.DMGuildID, run, alice, "2026-12-06", 1, 1_000)
		addUsage(t, db, "555", gen, alice, "2026-12-11", 1, 40_000) // after the range

		tests := []struct {
			name  string
			scope models.UsageScope
			want  []models.EndpointTotal
		}{
			{"member in one server", models.UsageScope{UserID: &alice, GuildID: "555"}, []models.EndpointTotal{
				{Endpoint: gen, Requests: 3, Cost: 120_000},
				{Endpoint: run, Requests: 3, Cost: 9_000},
			}},
			{"member in every server and DM", models.UsageScope{UserID: &alice, GuildID: models.GlobalGuildID}, []models.EndpointTotal{
				{Endpoint: gen, Requests: 8, Cost: 320_000},
				{Endpoint: run, Requests: 4, Cost: 10_000},
			}},
			{"member in DMs", models.UsageScope{UserID: &alice, GuildID: models.DMGuildID}, []models.EndpointTotal{
				{Endpoint: run, Requests: 1, Cost: 1_000},
			}},
			{"whole server", models.UsageScope{GuildID: "555"}, []models.EndpointTotal{
				{Endpoint: gen, Requests: 4, Cost: 170_000},
				{Endpoint: run, Requests: 3, Cost: 9_000},
			}},
			{"member who used nothing here", models.UsageScope{UserID: &bob, GuildID: "666"}, []models.EndpointTotal{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := models.UsageByEndpoint(ctx, db, tt.scope, "2026-12-04", "2026-12-10")
				if err != nil {
					t.Fatalf("UsageByEndpoint: %v", err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("totals (-got +want):\n%s", diff)
				}
			})
		}
	})
}

func TestTopMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := mustUser(t, db, "333")
		bob := mustUser(t, db, "444")
		carol := mustUser(t, db, "445")
		dave := mustUser(t, db, "446")
		gen, run := models.EndpointImagesGenerate, models.EndpointAssistantRun

		addUsage(t, db, "555", gen, alice, "2026-12-09", 1, 40_000)
		addUsage(t, db, "555", run, alice, "2026-12-10", 2, 20_000)
		addUsage(t, db, "555", gen, bob, "2026-12-10", 3, 120_000)
		addUsage(t, db, "555", gen, carol, "2026-12-10", 1, 60_000)
		addUsage(t, db, "555", gen, dave, "2026-12-10", 5, 60_000)   // same cost as carol, more requests
		addUsage(t, db, "666", gen, carol, "2026-12-10", 9, 900_000) // another server
		addUsage(t, db, "555", gen, carol, "2026-12-01", 9, 900_000) // before the range
		if _, err := models.UpsertUser(ctx, db, "333", "alice-renamed", reportStart); err != nil {
			t.Fatal(err)
		}

		got, err := models.TopMembers(ctx, db, "555", "2026-12-04", "2026-12-10", 3)
		if err != nil {
			t.Fatalf("TopMembers: %v", err)
		}
		want := []models.MemberTotal{
			{UserID: bob, DiscordUserID: "444", Username: "user444", Requests: 3, Cost: 120_000},
			{UserID: dave, DiscordUserID: "446", Username: "user446", Requests: 5, Cost: 60_000},
			{UserID: alice, DiscordUserID: "333", Username: "alice-renamed", Requests: 3, Cost: 60_000},
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("top members (-got +want):\n%s", diff)
		}

		none, err := models.TopMembers(ctx, db, "777", "2026-12-04", "2026-12-10", 3)
		if err != nil {
			t.Fatalf("TopMembers of an unused server: %v", err)
		}
		if len(none) != 0 {
			t.Errorf("top members of an unused server = %+v, want none", none)
		}
	})
}

func TestPendingSpentAndRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := mustUser(t, db, "333")
		bob := mustUser(t, db, "444")
		dayStart := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)

		addUsage(t, db, "555", models.EndpointImagesGenerate, alice, "2026-12-09", 1, 10_000)
		addUsage(t, db, "555", models.EndpointImagesGenerate, alice, "2026-12-10", 2, 70_000)
		addUsage(t, db, "666", models.EndpointImagesGenerate, alice, "2026-12-10", 1, 5_000)
		addUsage(t, db, "555", models.EndpointImagesGenerate, bob, "2026-12-10", 1, 30_000)

		rows := []models.LedgerEntry{
			{InteractionID: "a1", UserID: alice, GuildID: "555", Status: models.StatusSettled, CreatedAt: dayStart.Add(time.Hour), Cost: 30_000, Estimate: 35_000},
			{InteractionID: "a2", UserID: alice, GuildID: "555", Status: models.StatusUncertain, CreatedAt: dayStart.Add(2 * time.Hour), Cost: 40_000, Estimate: 40_000},
			{InteractionID: "a3", UserID: alice, GuildID: "555", Status: models.StatusPending, CreatedAt: dayStart.Add(3 * time.Hour), Estimate: 50_000},
			{InteractionID: "a3", Step: 1, UserID: alice, GuildID: "555", Status: models.StatusPending, CreatedAt: dayStart.Add(3 * time.Hour), Estimate: 7_000},
			{InteractionID: "a4", UserID: alice, GuildID: "555", Status: models.StatusFailed, CreatedAt: dayStart.Add(4 * time.Hour), Estimate: 50_000},
			{InteractionID: "a5", UserID: alice, GuildID: "555", Status: models.StatusRefused, CreatedAt: dayStart.Add(5 * time.Hour)},
			{InteractionID: "a6", UserID: alice, GuildID: "555", Status: models.StatusPending, CreatedAt: dayStart.Add(-time.Hour), Estimate: 99_000},
			{InteractionID: "a7", UserID: alice, GuildID: "666", Status: models.StatusPending, CreatedAt: dayStart.Add(time.Hour), Estimate: 1_000},
			{InteractionID: "b1", UserID: bob, GuildID: "555", Status: models.StatusPending, CreatedAt: dayStart.Add(time.Hour), Estimate: 2_000},
		}
		for _, r := range rows {
			addLedgerRow(t, db, r)
		}

		pendingTests := []struct {
			name  string
			scope models.UsageScope
			want  models.PendingTotal
		}{
			{"member in one server", models.UsageScope{UserID: &alice, GuildID: "555"}, models.PendingTotal{Requests: 2, Estimate: 57_000}},
			{"member everywhere", models.UsageScope{UserID: &alice, GuildID: models.GlobalGuildID}, models.PendingTotal{Requests: 3, Estimate: 58_000}},
			{"whole server", models.UsageScope{GuildID: "555"}, models.PendingTotal{Requests: 3, Estimate: 59_000}},
		}
		for _, tt := range pendingTests {
			t.Run("pending "+tt.name, func(t *testing.T) {
				got, err := models.PendingUsage(ctx, db, tt.scope, dayStart)
				if err != nil {
					t.Fatalf("PendingUsage: %v", err)
				}
				if diff := cmp.Diff(got, tt.want); diff != "" {
					t.Errorf("pending (-got +want):\n%s", diff)
				}
			})
		}

		spentTests := []struct {
			name  string
			scope models.UsageScope
			want  models.MicroUSD
		}{
			{"member in one server", models.UsageScope{UserID: &alice, GuildID: "555"}, 70_000 + 57_000},
			{"whole server", models.UsageScope{GuildID: "555"}, 100_000 + 59_000},
			{"everything", models.UsageScope{GuildID: models.GlobalGuildID}, 105_000 + 60_000},
		}
		for _, tt := range spentTests {
			t.Run("spent "+tt.name, func(t *testing.T) {
				got, err := models.Spent(ctx, db, tt.scope, "2026-12-10", dayStart)
				if err != nil {
					t.Fatalf("Spent: %v", err)
				}
				if got != tt.want {
					t.Errorf("spent = %s, want %s", got, tt.want)
				}
			})
		}

		requestTests := []struct {
			name    string
			guildID string
			since   time.Time
			want    int64
		}{
			// a1, a2 and a3 (its step 1 is the same request); failed,
			// refused and earlier rows do not count.
			{"one server since midnight", "555", dayStart, 3},
			{"every server since midnight", models.GlobalGuildID, dayStart, 4},
			{"one server over two days", "555", dayStart.Add(-24 * time.Hour), 4},
			{"window starting after the last request", "555", dayStart.Add(6 * time.Hour), 0},
		}
		for _, tt := range requestTests {
			t.Run("requests "+tt.name, func(t *testing.T) {
				got, err := models.CountRequests(ctx, db, alice, tt.guildID, tt.since)
				if err != nil {
					t.Fatalf("CountRequests: %v", err)
				}
				if got != tt.want {
					t.Errorf("requests = %d, want %d", got, tt.want)
				}
			})
		}
	})
}

func TestFindRateLimitsInForce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := mustUser(t, db, "333")
		bob := mustUser(t, db, "444")
		set := func(userID *int64, guildID string, limit int, period models.Period, until time.Time, at time.Time) {
			t.Helper()
			p := models.RateLimitParams{UserID: userID, GuildID: guildID, Limit: limit, Period: period, Until: until}
			if _, err := models.SetRateLimit(ctx, db, p, at); err != nil {
				t.Fatalf("SetRateLimit: %v", err)
			}
		}
		earlier := reportStart.Add(-time.Hour)
		set(&alice, "555", 2, models.PeriodHour, time.Time{}, earlier)
		set(nil, "555", 10, models.PeriodDay, time.Time{}, earlier)
		set(&alice, models.GlobalGuildID, 50, models.PeriodWeek, reportStart.Add(time.Hour), earlier)
		set(&bob, "555", 1, models.PeriodDay, reportStart.Add(-time.Minute), earlier.Add(-time.Hour)) // ended
		set(&alice, "666", 3, models.PeriodDay, time.Time{}, earlier)

		describe := func(l *models.RateLimit) string {
			if l == nil {
				return "none"
			}
			return fmt.Sprintf("%d per %s in %q", l.Limit, l.Period, l.GuildID)
		}
		tests := []struct {
			name                        string
			userID                      int64
			guildID                     string
			at                          time.Time
			member, serverDefault, glob string
		}{
			{"member with every kind", alice, "555", reportStart, `2 per hour in "555"`, `10 per day in "555"`, `50 per week in ""`},
			{"member whose limit ended", bob, "555", reportStart, "none", `10 per day in "555"`, "none"},
			{"member never seen", 0, "555", reportStart, "none", `10 per day in "555"`, "none"},
			{"another server", alice, "666", reportStart, `3 per day in "666"`, "none", `50 per week in ""`},
			{"after the global limit ends", alice, "777", reportStart.Add(time.Hour), "none", "none", "none"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := models.FindRateLimitsInForce(ctx, db, tt.userID, tt.guildID, tt.at)
				if err != nil {
					t.Fatalf("FindRateLimitsInForce: %v", err)
				}
				if s := describe(got.Member); s != tt.member {
					t.Errorf("member limit = %s, want %s", s, tt.member)
				}
				if s := describe(got.ServerDefault); s != tt.serverDefault {
					t.Errorf("server default = %s, want %s", s, tt.serverDefault)
				}
				if s := describe(got.Global); s != tt.glob {
					t.Errorf("global limit = %s, want %s", s, tt.glob)
				}
			})
		}

		// A newer limit replaces the older one, which is then not found.
		set(&alice, "555", 7, models.PeriodDay, time.Time{}, reportStart.Add(-time.Minute))
		got, err := models.FindRateLimitsInForce(ctx, db, alice, "555", reportStart)
		if err != nil {
			t.Fatal(err)
		}
		if s := describe(got.Member); s != `7 per day in "555"` {
			t.Errorf("member limit after a new one = %s, want 7 per day", s)
		}
	})
}

func TestFindUsersByID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := mustUser(t, db, "333")
		bob := mustUser(t, db, "444")

		got, err := models.FindUsersByID(ctx, db, []int64{alice, bob, bob + 100})
		if err != nil {
			t.Fatalf("FindUsersByID: %v", err)
		}
		names := map[int64]string{}
		for id, u := range got {
			names[id] = u.DiscordUserID + "/" + u.Username
		}
		if diff := cmp.Diff(names, map[int64]string{alice: "333/user333", bob: "444/user444"}); diff != "" {
			t.Errorf("users (-got +want):\n%s", diff)
		}

		empty, err := models.FindUsersByID(ctx, db, nil)
		if err != nil || len(empty) != 0 {
			t.Errorf("FindUsersByID(nil) = %v, %v; want an empty map", empty, err)
		}
	})
}
