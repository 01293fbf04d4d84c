package models_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// modStart is the clock of the moderation tests: Friday 4 December 2026,
// 10:00 UTC.
var modStart = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// mustUser inserts a Discord user and returns their row ID.
func mustUser(t *testing.T, db bun.IDB, discordID string) int64 {
	t.Helper()
	user, err := models.UpsertUser(context.Background(), db, discordID, "user"+discordID, modStart)
	if err != nil {
		t.Fatalf("insert user %s: %v", discordID, err)
	}
	return user.ID
}

// logRow is a moderation log row with its times as text, so cmp can
// compare rows read back from either database.
type logRow struct {
	GuildID string
	Actor   int64 // 0 for the operator's command line
	Target  int64 // 0 for a server default or a global budget
	Action  string
	Detail  string
	Reason  string
	Date    string
}

func readLog(t *testing.T, db bun.IDB) []logRow {
	t.Helper()
	var entries []models.ModerationLogEntry
	if err := db.NewSelect().Model(&entries).Order("id").Scan(context.Background()); err != nil {
		t.Fatalf("read moderation log: %v", err)
	}
	rows := make([]logRow, len(entries))
	for i, e := range entries {
		rows[i] = logRow{GuildID: e.GuildID, Action: e.Action, Detail: e.Detail, Reason: e.Reason, Date: stamp(e.Date)}
		if e.ActorID != nil {
			rows[i].Actor = *e.ActorID
		}
		if e.TargetUserID != nil {
			rows[i].Target = *e.TargetUserID
		}
	}
	return rows
}

// stamp formats a time in UTC, or returns "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func countRows(t *testing.T, db bun.IDB, table string) int {
	t.Helper()
	var n int
	if err := db.NewRaw("SELECT COUNT(*) FROM "+table).Scan(context.Background(), &n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestModerationRejectsInvalidInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")
		now := modStart

		tests := []struct {
			name   string
			change func() error
		}{
			{"blacklist without member", func() error {
				_, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{GuildID: "555"}, now)
				return err
			}},
			{"blacklist ending now", func() error {
				_, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{UserID: member, GuildID: "555", Until: now}, now)
				return err
			}},
			{"blacklist ending in the past", func() error {
				_, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{UserID: member, GuildID: "555", Until: now.Add(-time.Hour)}, now)
				return err
			}},
			{"blacklist in DMs", func() error {
				_, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{UserID: member, GuildID: models.DMGuildID}, now)
				return err
			}},
			{"blacklist lift in DMs", func() error {
				_, err := models.LiftBlacklist(ctx, db, member, models.DMGuildID, nil, "", now)
				return err
			}},
			{"rate limit of zero", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 0, Period: models.PeriodDay}, now)
				return err
			}},
			{"negative rate limit", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: -3, Period: models.PeriodDay}, now)
				return err
			}},
			{"rate limit over the column", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: math.MaxInt32 + 1, Period: models.PeriodDay}, now)
				return err
			}},
			{"rate limit per month", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 5, Period: models.PeriodMonth}, now)
				return err
			}},
			{"rate limit without period", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 5}, now)
				return err
			}},
			{"global rate limit without member", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{GuildID: models.GlobalGuildID, Limit: 5, Period: models.PeriodDay}, now)
				return err
			}},
			{"rate limit ending in the past", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 5, Period: models.PeriodDay, Until: now.Add(-time.Nanosecond)}, now)
				return err
			}},
			{"rate limit in DMs", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: models.DMGuildID, Limit: 5, Period: models.PeriodDay}, now)
				return err
			}},
			{"budget of zero", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodDay}, now)
				return err
			}},
			{"negative budget", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodDay, Amount: -1}, now)
				return err
			}},
			{"budget per hour", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodHour, Amount: 1}, now)
				return err
			}},
			{"budget per week", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodWeek, Amount: 1}, now)
				return err
			}},
			{"member budget without member", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeMember, GuildID: "555"}, Period: models.PeriodDay, Amount: 1}, now)
				return err
			}},
			{"member budget without server", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeMember, UserID: &member}, Period: models.PeriodDay, Amount: 1}, now)
				return err
			}},
			{"server budget with member", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555", UserID: &member}, Period: models.PeriodDay, Amount: 1}, now)
				return err
			}},
			{"server budget without server", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer}, Period: models.PeriodDay, Amount: 1}, now)
				return err
			}},
			{"global budget with server", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeGlobal, GuildID: "555"}, Period: models.PeriodMonth, Amount: 1}, now)
				return err
			}},
			{"global budget with member", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeGlobal, UserID: &member}, Period: models.PeriodMonth, Amount: 1}, now)
				return err
			}},
			{"unknown budget scope", func() error {
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: models.BudgetTarget{Scope: "channel", GuildID: "555"}, Period: models.PeriodDay, Amount: 1}, now)
				return err
			}},
			{"budget clear per week", func() error {
				_, err := models.ClearBudget(ctx, db, models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, models.PeriodWeek, nil, "", now)
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.change()
				if !errors.Is(err, models.ErrInvalidModeration) {
					t.Errorf("error = %v, want ErrInvalidModeration", err)
				}
			})
		}

		for _, table := range []string{"blacklisted_user_table", "rate_limited_user_table", "budget_table", "moderation_log_table"} {
			if got := countRows(t, db, table); got != 0 {
				t.Errorf("%s has %d rows after rejected changes, want 0", table, got)
			}
		}
	})
}

// blacklistRow is a blacklist entry with its times as text.
type blacklistRow struct {
	ID       int64
	GuildID  string
	Reason   string
	Until    string
	LiftedAt string
	LiftedBy int64
}

func blacklistRows(entries []models.BlacklistEntry) []blacklistRow {
	var rows []blacklistRow
	for _, e := range entries {
		row := blacklistRow{ID: e.ID, GuildID: e.GuildID, Reason: e.Reason, Until: stamp(e.Until.Time), LiftedAt: stamp(e.LiftedAt.Time)}
		if e.LiftedBy != nil {
			row.LiftedBy = *e.LiftedBy
		}
		rows = append(rows, row)
	}
	return rows
}

func TestBlacklistAddLiftList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")
		moderator := mustUser(t, db, "444")

		add := func(p models.BlacklistParams, now time.Time) models.BlacklistEntry {
			t.Helper()
			entry, err := models.AddBlacklistEntry(ctx, db, p, now)
			if err != nil {
				t.Fatalf("AddBlacklistEntry(%+v): %v", p, err)
			}
			return entry
		}
		day := add(models.BlacklistParams{UserID: member, GuildID: "555", Reason: "spam", By: &moderator, Until: modStart.Add(24 * time.Hour)}, modStart)
		forever := add(models.BlacklistParams{UserID: member, GuildID: "555", Reason: "abuse"}, modStart.Add(time.Minute))
		short := add(models.BlacklistParams{UserID: member, GuildID: "555", Reason: "cool down", By: &moderator, Until: modStart.Add(time.Hour)}, modStart.Add(2*time.Minute))
		global := add(models.BlacklistParams{UserID: member, GuildID: models.GlobalGuildID, Reason: "fraud"}, modStart.Add(3*time.Minute))

		liftAt := modStart.Add(2 * time.Hour)
		lifted, err := models.LiftBlacklist(ctx, db, member, "555", &moderator, "appeal accepted", liftAt)
		if err != nil {
			t.Fatalf("LiftBlacklist: %v", err)
		}
		// The short entry ended at 11:00 and is not lifted again.
		if lifted != 2 {
			t.Errorf("lifted %d entries, want 2", lifted)
		}

		_, err = models.LiftBlacklist(ctx, db, member, "555", &moderator, "again", liftAt.Add(time.Second))
		if !errors.Is(err, models.ErrNoActiveEntry) {
			t.Errorf("second lift error = %v, want ErrNoActiveEntry", err)
		}

		active, past, err := models.ListBlacklist(ctx, db, "555", liftAt)
		if err != nil {
			t.Fatalf("ListBlacklist: %v", err)
		}
		if len(active) != 0 {
			t.Errorf("active entries in 555 = %+v, want none", blacklistRows(active))
		}
		wantPast := []blacklistRow{
			{ID: short.ID, GuildID: "555", Reason: "cool down", Until: "2026-12-04T11:00:00Z"},
			{ID: forever.ID, GuildID: "555", Reason: "abuse", LiftedAt: "2026-12-04T12:00:00Z", LiftedBy: moderator},
			{ID: day.ID, GuildID: "555", Reason: "spam", Until: "2026-12-05T10:00:00Z", LiftedAt: "2026-12-04T12:00:00Z", LiftedBy: moderator},
		}
		if diff := cmp.Diff(blacklistRows(past), wantPast); diff != "" {
			t.Errorf("past entries in 555 (-got +want):\n%s", diff)
		}

		active, _, err = models.ListBlacklist(ctx, db, models.GlobalGuildID, liftAt)
		if err != nil {
			t.Fatalf("ListBlacklist global: %v", err)
		}
		if diff := cmp.Diff(blacklistRows(active), []blacklistRow{{ID: global.ID, Reason: "fraud"}}); diff != "" {
			t.Errorf("active global entries (-got +want):\n%s", diff)
		}
		blocking, err := models.FindActiveBlacklist(ctx, db, member, "555", liftAt)
		if err != nil {
			t.Fatalf("FindActiveBlacklist after the server lift: %v", err)
		}
		if blocking.ID != global.ID {
			t.Errorf("entry blocking in 555 after the lift = %d, want the global entry %d", blocking.ID, global.ID)
		}

		wantLog := []logRow{
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBlacklistAdd, Detail: "until 2026-12-05T10:00:00Z", Reason: "spam", Date: "2026-12-04T10:00:00Z"},
			{GuildID: "555", Target: member, Action: models.ActionBlacklistAdd, Detail: "no end date", Reason: "abuse", Date: "2026-12-04T10:01:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBlacklistAdd, Detail: "until 2026-12-04T11:00:00Z", Reason: "cool down", Date: "2026-12-04T10:02:00Z"},
			{GuildID: "", Target: member, Action: models.ActionBlacklistAdd, Detail: "no end date", Reason: "fraud", Date: "2026-12-04T10:03:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBlacklistLift, Detail: "lifted 2 entries", Reason: "appeal accepted", Date: "2026-12-04T12:00:00Z"},
		}
		if diff := cmp.Diff(readLog(t, db), wantLog); diff != "" {
			t.Errorf("moderation log (-got +want):\n%s", diff)
		}
	})
}

// rateLimitRow is a rate limit with its times as text.
type rateLimitRow struct {
	Member   int64 // 0 for a server default
	GuildID  string
	Limit    int
	Period   models.Period
	LiftedAt string
}

func rateLimitRows(limits []models.RateLimit) []rateLimitRow {
	var rows []rateLimitRow
	for _, l := range limits {
		row := rateLimitRow{GuildID: l.GuildID, Limit: l.Limit, Period: l.Period, LiftedAt: stamp(l.LiftedAt.Time)}
		if l.UserID != nil {
			row.Member = *l.UserID
		}
		rows = append(rows, row)
	}
	return rows
}

func TestSetRateLimitReplacesScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")
		moderator := mustUser(t, db, "444")

		steps := []models.RateLimitParams{
			{UserID: &member, GuildID: "555", Limit: 3, Period: models.PeriodDay, Until: modStart.Add(48 * time.Hour), Reason: "new member", By: &moderator},
			{GuildID: "555", Limit: 10, Period: models.PeriodDay, By: &moderator},
			{UserID: &member, GuildID: models.GlobalGuildID, Limit: 50, Period: models.PeriodWeek, Reason: "operator cap"},
			// Replaces the member's daily limit in 555 although the period
			// differs, and leaves the server default and the global one.
			{UserID: &member, GuildID: "555", Limit: 1, Period: models.PeriodHour, Reason: "flooding", By: &moderator},
		}
		for i, p := range steps {
			if _, err := models.SetRateLimit(ctx, db, p, modStart.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("step %d: SetRateLimit(%+v): %v", i, p, err)
			}
		}

		now := modStart.Add(time.Hour)
		active, past, err := models.ListRateLimits(ctx, db, "555", now)
		if err != nil {
			t.Fatalf("ListRateLimits: %v", err)
		}
		wantActive := []rateLimitRow{
			{Member: member, GuildID: "555", Limit: 1, Period: models.PeriodHour},
			{GuildID: "555", Limit: 10, Period: models.PeriodDay},
		}
		if diff := cmp.Diff(rateLimitRows(active), wantActive); diff != "" {
			t.Errorf("active limits in 555 (-got +want):\n%s", diff)
		}
		wantPast := []rateLimitRow{{Member: member, GuildID: "555", Limit: 3, Period: models.PeriodDay, LiftedAt: "2026-12-04T10:03:00Z"}}
		if diff := cmp.Diff(rateLimitRows(past), wantPast); diff != "" {
			t.Errorf("past limits in 555 (-got +want):\n%s", diff)
		}

		cleared, err := models.ClearRateLimit(ctx, db, &member, "555", &moderator, "calmed down", now)
		if err != nil || cleared != 1 {
			t.Fatalf("ClearRateLimit = %d, %v; want 1, nil", cleared, err)
		}
		if _, err := models.ClearRateLimit(ctx, db, &member, "555", &moderator, "", now); !errors.Is(err, models.ErrNoActiveEntry) {
			t.Errorf("second clear error = %v, want ErrNoActiveEntry", err)
		}
		active, _, err = models.ListRateLimits(ctx, db, "555", now)
		if err != nil {
			t.Fatalf("ListRateLimits: %v", err)
		}
		if diff := cmp.Diff(rateLimitRows(active), []rateLimitRow{{GuildID: "555", Limit: 10, Period: models.PeriodDay}}); diff != "" {
			t.Errorf("active limits in 555 after the clear (-got +want):\n%s", diff)
		}
		active, _, err = models.ListRateLimits(ctx, db, models.GlobalGuildID, now)
		if err != nil {
			t.Fatalf("ListRateLimits global: %v", err)
		}
		if diff := cmp.Diff(rateLimitRows(active), []rateLimitRow{{Member: member, Limit: 50, Period: models.PeriodWeek}}); diff != "" {
			t.Errorf("active global limits (-got +want):\n%s", diff)
		}

		wantLog := []logRow{
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionRateLimitSet, Detail: "3 requests per day, until 2026-12-06T10:00:00Z", Reason: "new member", Date: "2026-12-04T10:00:00Z"},
			{GuildID: "555", Actor: moderator, Action: models.ActionRateLimitSet, Detail: "10 requests per day, no end date", Date: "2026-12-04T10:01:00Z"},
			{GuildID: "", Target: member, Action: models.ActionRateLimitSet, Detail: "50 requests per week, no end date", Reason: "operator cap", Date: "2026-12-04T10:02:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionRateLimitSet,
				Detail: "1 request per hour, no end date; replaces 3 requests per day, until 2026-12-06T10:00:00Z", Reason: "flooding", Date: "2026-12-04T10:03:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionRateLimitClear, Detail: "cleared 1 request per hour, no end date", Reason: "calmed down", Date: "2026-12-04T11:00:00Z"},
		}
		if diff := cmp.Diff(readLog(t, db), wantLog); diff != "" {
			t.Errorf("moderation log (-got +want):\n%s", diff)
		}
	})
}

// budgetRow is a budget with its times as text.
type budgetRow struct {
	Scope     models.BudgetScope
	Member    int64
	Period    models.Period
	Amount    models.MicroUSD
	ClearedAt string
}

func budgetRows(budgets []models.Budget) []budgetRow {
	var rows []budgetRow
	for _, b := range budgets {
		row := budgetRow{Scope: b.Scope, Period: b.Period, Amount: b.Amount, ClearedAt: stamp(b.ClearedAt.Time)}
		if b.UserID != nil {
			row.Member = *b.UserID
		}
		rows = append(rows, row)
	}
	return rows
}

func TestSetBudgetReplacesSameTargetAndPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")
		moderator := mustUser(t, db, "444")
		memberIn555 := models.BudgetTarget{Scope: models.ScopeMember, GuildID: "555", UserID: &member}

		steps := []models.BudgetParams{
			{Target: memberIn555, Period: models.PeriodDay, Amount: 1_000_000, By: &moderator},
			{Target: memberIn555, Period: models.PeriodMonth, Amount: 10_000_000, By: &moderator},
			{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodDay, Amount: 50_000_000, By: &moderator},
			{Target: models.BudgetTarget{Scope: models.ScopeGlobal}, Period: models.PeriodMonth, Amount: 100_000_000, Reason: "card limit"},
			{Target: memberIn555, Period: models.PeriodDay, Amount: 2_500_000, By: &moderator, Reason: "more room"},
		}
		for i, p := range steps {
			if _, err := models.SetBudget(ctx, db, p, modStart.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("step %d: SetBudget(%+v): %v", i, p, err)
			}
		}

		active, past, err := models.ListBudgets(ctx, db, "555")
		if err != nil {
			t.Fatalf("ListBudgets: %v", err)
		}
		wantActive := []budgetRow{
			{Scope: models.ScopeMember, Member: member, Period: models.PeriodDay, Amount: 2_500_000},
			{Scope: models.ScopeServer, Period: models.PeriodDay, Amount: 50_000_000},
			{Scope: models.ScopeMember, Member: member, Period: models.PeriodMonth, Amount: 10_000_000},
		}
		if diff := cmp.Diff(budgetRows(active), wantActive); diff != "" {
			t.Errorf("active budgets in 555 (-got +want):\n%s", diff)
		}
		wantPast := []budgetRow{{Scope: models.ScopeMember, Member: member, Period: models.PeriodDay, Amount: 1_000_000, ClearedAt: "2026-12-04T10:04:00Z"}}
		if diff := cmp.Diff(budgetRows(past), wantPast); diff != "" {
			t.Errorf("past budgets in 555 (-got +want):\n%s", diff)
		}

		clearAt := modStart.Add(time.Hour)
		cleared, err := models.ClearBudget(ctx, db, memberIn555, "", &moderator, "", clearAt)
		if err != nil || cleared != 2 {
			t.Fatalf("ClearBudget of every period = %d, %v; want 2, nil", cleared, err)
		}
		if _, err := models.ClearBudget(ctx, db, memberIn555, models.PeriodDay, &moderator, "", clearAt); !errors.Is(err, models.ErrNoActiveEntry) {
			t.Errorf("second clear error = %v, want ErrNoActiveEntry", err)
		}
		global := models.BudgetTarget{Scope: models.ScopeGlobal}
		if cleared, err := models.ClearBudget(ctx, db, global, models.PeriodMonth, nil, "new card", clearAt); err != nil || cleared != 1 {
			t.Fatalf("ClearBudget global = %d, %v; want 1, nil", cleared, err)
		}
		active, _, err = models.ListBudgets(ctx, db, "555")
		if err != nil {
			t.Fatalf("ListBudgets: %v", err)
		}
		if diff := cmp.Diff(budgetRows(active), []budgetRow{{Scope: models.ScopeServer, Period: models.PeriodDay, Amount: 50_000_000}}); diff != "" {
			t.Errorf("active budgets in 555 after the clear (-got +want):\n%s", diff)
		}

		wantLog := []logRow{
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBudgetSet, Detail: "$1.00 per day", Date: "2026-12-04T10:00:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBudgetSet, Detail: "$10.00 per month", Date: "2026-12-04T10:01:00Z"},
			{GuildID: "555", Actor: moderator, Action: models.ActionBudgetSet, Detail: "$50.00 per day", Date: "2026-12-04T10:02:00Z"},
			{GuildID: "", Action: models.ActionBudgetSet, Detail: "$100.00 per month", Reason: "card limit", Date: "2026-12-04T10:03:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBudgetSet, Detail: "$2.50 per day; replaces $1.00 per day", Reason: "more room", Date: "2026-12-04T10:04:00Z"},
			{GuildID: "555", Actor: moderator, Target: member, Action: models.ActionBudgetClear, Detail: "cleared $2.50 per day and $10.00 per month", Date: "2026-12-04T11:00:00Z"},
			{GuildID: "", Action: models.ActionBudgetClear, Detail: "cleared $100.00 per month", Reason: "new card", Date: "2026-12-04T11:00:00Z"},
		}
		if diff := cmp.Diff(readLog(t, db), wantLog); diff != "" {
			t.Errorf("moderation log (-got +want):\n%s", diff)
		}
	})
}

// TestConcurrentSetLeavesOneActive has eight moderators set the same
// member's limit, and the same server's budget, at once.
func TestConcurrentSetLeavesOneActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")

		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				p := models.RateLimitParams{UserID: &member, GuildID: "555", Limit: i + 1, Period: models.PeriodDay}
				if _, err := models.SetRateLimit(ctx, db, p, modStart); err != nil {
					t.Errorf("SetRateLimit %d: %v", i, err)
				}
			}()
			go func() {
				defer wg.Done()
				p := models.BudgetParams{Target: models.BudgetTarget{Scope: models.ScopeServer, GuildID: "555"}, Period: models.PeriodDay, Amount: models.MicroUSD(i + 1)}
				if _, err := models.SetBudget(ctx, db, p, modStart); err != nil {
					t.Errorf("SetBudget %d: %v", i, err)
				}
			}()
		}
		wg.Wait()

		limits, _, err := models.ListRateLimits(ctx, db, "555", modStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(limits) != 1 {
			t.Errorf("active rate limits = %+v, want exactly one", rateLimitRows(limits))
		}
		budgets, _, err := models.ListBudgets(ctx, db, "555")
		if err != nil {
			t.Fatal(err)
		}
		if len(budgets) != 1 {
			t.Errorf("active budgets = %+v, want exactly one", budgetRows(budgets))
		}
		if got := countRows(t, db, "moderation_log_table"); got != 16 {
			t.Errorf("log rows = %d, want 16", got)
		}
	})
}

// TestFailedChangeWritesNothing makes the insert fail on a foreign key
// after the previous limit was lifted: the lift, the new row and the log
// row must all be rolled back.
func TestFailedChangeWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")
		if _, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 3, Period: models.PeriodDay}, modStart); err != nil {
			t.Fatal(err)
		}
		missing := member + 1000

		tests := []struct {
			name   string
			change func() error
		}{
			{"rate limit by an unknown moderator", func() error {
				_, err := models.SetRateLimit(ctx, db, models.RateLimitParams{UserID: &member, GuildID: "555", Limit: 5, Period: models.PeriodDay, By: &missing}, modStart.Add(time.Minute))
				return err
			}},
			{"blacklist of an unknown member", func() error {
				_, err := models.AddBlacklistEntry(ctx, db, models.BlacklistParams{UserID: missing, GuildID: "555"}, modStart.Add(time.Minute))
				return err
			}},
			{"budget of an unknown member", func() error {
				target := models.BudgetTarget{Scope: models.ScopeMember, GuildID: "555", UserID: &missing}
				_, err := models.SetBudget(ctx, db, models.BudgetParams{Target: target, Period: models.PeriodDay, Amount: 1}, modStart.Add(time.Minute))
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.change()
				if err == nil {
					t.Fatal("change with a missing user row succeeded")
				}
				if errors.Is(err, models.ErrInvalidModeration) {
					t.Errorf("error = %v, want a database error", err)
				}
			})
		}

		active, past, err := models.ListRateLimits(ctx, db, "555", modStart.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rateLimitRows(active), []rateLimitRow{{Member: member, GuildID: "555", Limit: 3, Period: models.PeriodDay}}); diff != "" {
			t.Errorf("active limits (-got +want):\n%s", diff)
		}
		if len(past) != 0 {
			t.Errorf("past limits = %+v, want none", rateLimitRows(past))
		}
		if got := countRows(t, db, "moderation_log_table"); got != 1 {
			t.Errorf("log rows = %d, want only the first change's", got)
		}
		if got := countRows(t, db, "blacklisted_user_table") + countRows(t, db, "budget_table"); got != 0 {
			t.Errorf("%d blacklist and budget rows, want 0", got)
		}
	})
}

// TestChangeInCallerTransaction runs a change inside a transaction the
// caller holds: rolling that back must undo the change and its log row.
func TestChangeInCallerTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		member := mustUser(t, db, "333")

		for _, commit := range []bool{false, true} {
			t.Run(fmt.Sprintf("commit %v", commit), func(t *testing.T) {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				p := models.BlacklistParams{UserID: member, GuildID: "555", Reason: fmt.Sprintf("commit %v", commit)}
				if _, err := models.AddBlacklistEntry(ctx, tx, p, modStart); err != nil {
					t.Fatalf("AddBlacklistEntry in a transaction: %v", err)
				}
				if commit {
					if err := tx.Commit(); err != nil {
						t.Fatal(err)
					}
				} else if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
			})
		}

		active, _, err := models.ListBlacklist(ctx, db, "555", modStart)
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 {
			t.Fatalf("%d entries after one rolled back and one committed transaction, want 1", len(active))
		}
		if diff := cmp.Diff(blacklistRows(active), []blacklistRow{{ID: active[0].ID, GuildID: "555", Reason: "commit true"}}); diff != "" {
			t.Errorf("entries after one rolled back and one committed transaction (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(readLog(t, db), []logRow{{GuildID: "555", Target: member, Action: models.ActionBlacklistAdd, Detail: "no end date", Reason: "commit true", Date: "2026-12-04T10:00:00Z"}}); diff != "" {
			t.Errorf("moderation log (-got +want):\n%s", diff)
		}
	})
}
