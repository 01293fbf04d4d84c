package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// DefaultLimits are the configured limits for everyone, which apply where
// no /ratelimit or /budget entry is set. Zero means none.
type DefaultLimits struct {
	// DailyRequests is TALLY_DEFAULT_DAILY_REQUESTS, per member and server.
	DailyRequests int
	// DailyBudget is TALLY_DEFAULT_DAILY_BUDGET_USD, per member and server.
	DailyBudget models.MicroUSD
	// GlobalMonthlyBudget is TALLY_GLOBAL_MONTHLY_BUDGET_USD, the
	// operator's cap on all spending.
	GlobalMonthlyBudget models.MicroUSD
}

// standing describes the limits that apply to a member in one server (or
// in DMs) at one instant, and how much of each is used.
type standing struct {
	// Block is the blacklist entry refusing the member, or nil.
	Block  *models.BlacklistEntry
	Limits []limitStatus
	Caps   []capStatus
}

// limitStatus is one rate limit that applies, with the requests used in
// its current window.
type limitStatus struct {
	Source   limitSource
	Limit    int
	Period   models.Period
	Used     int64
	ResetsAt time.Time
	// Until is when the limit itself ends, or zero.
	Until  time.Time
	Reason string
}

// limitSource names the rule a rate limit comes from.
type limitSource string

const (
	sourceMember        limitSource = "member's own limit"
	sourceServerDefault limitSource = "server's default"
	sourceConfigured    limitSource = "Tally's default"
	sourceGlobal        limitSource = "operator's limit in every server"
)

// capStatus is one budget that applies, with what its scope spent in the
// current period, pending estimates included.
type capStatus struct {
	Scope    models.BudgetScope
	Period   models.Period
	Amount   models.MicroUSD
	Spent    models.MicroUSD
	ResetsAt time.Time
	// Configured is true for a cap from the configuration rather than a
	// /budget entry.
	Configured bool
}

// Left returns what remains of the cap, never below zero.
func (c capStatus) Left() models.MicroUSD { return max(c.Amount-c.Spent, 0) }

// memberStanding reads the blacklist, rate limits and budgets that apply
// to the member (userID 0 for a member Tally has never seen) in guildID at
// now.
//
// NOTE: which rules apply, and in what order, mirrors admission in the
// metering package (applicableLimits and applicableBudgets). A change to
// those rules must be made in both places, and TestStandingMatchesAdmission
// compares the two.
func memberStanding(ctx context.Context, deps *Deps, userID int64, guildID string, now time.Time) (standing, error) {
	var s standing
	if userID != 0 {
		entry, err := models.FindActiveBlacklist(ctx, deps.DB, userID, guildID, now)
		switch {
		case err == nil:
			s.Block = &entry
		case !errors.Is(err, sql.ErrNoRows):
			return standing{}, err
		}
	}

	limits, err := applicableLimits(ctx, deps, userID, guildID, now)
	if err != nil {
		return standing{}, err
	}
	for _, l := range limits {
		start := metering.WindowStart(now, l.Period, deps.Zone)
		scope := guildID
		if l.Source == sourceGlobal {
			scope = models.GlobalGuildID
		}
		if userID != 0 {
			if l.Used, err = models.CountRequests(ctx, deps.DB, userID, scope, start); err != nil {
				return standing{}, err
			}
		}
		l.ResetsAt = windowEnd(start, l.Period)
		s.Limits = append(s.Limits, l)
	}

	s.Caps, err = memberCaps(ctx, deps, userID, guildID, now)
	if err != nil {
		return standing{}, err
	}
	return s, nil
}

// applicableLimits returns the member's own limit, else the server's
// default, else the configured default, and an operator's global limit on
// top.
func applicableLimits(ctx context.Context, deps *Deps, userID int64, guildID string, now time.Time) ([]limitStatus, error) {
	found, err := models.FindRateLimitsInForce(ctx, deps.DB, userID, guildID, now)
	if err != nil {
		return nil, err
	}
	var limits []limitStatus
	switch {
	case found.Member != nil:
		limits = append(limits, limitFromRow(sourceMember, found.Member))
	case found.ServerDefault != nil:
		limits = append(limits, limitFromRow(sourceServerDefault, found.ServerDefault))
	case deps.Defaults.DailyRequests > 0:
		limits = append(limits, limitStatus{Source: sourceConfigured, Limit: deps.Defaults.DailyRequests, Period: models.PeriodDay})
	}
	if found.Global != nil {
		limits = append(limits, limitFromRow(sourceGlobal, found.Global))
	}
	return limits, nil
}

func limitFromRow(source limitSource, row *models.RateLimit) limitStatus {
	return limitStatus{Source: source, Limit: row.Limit, Period: row.Period, Until: row.Until.Time, Reason: row.Reason}
}

// memberCaps returns the budgets a request by the member in the server
// must fit in: for each scope and period the newest entry, then the
// configured member daily and global monthly caps where no entry is set.
func memberCaps(ctx context.Context, deps *Deps, userID int64, guildID string, now time.Time) ([]capStatus, error) {
	rows, err := models.FindBudgets(ctx, deps.DB, userID, guildID, now)
	if err != nil {
		return nil, err
	}
	var caps []capStatus
	seen := map[string]bool{}
	add := func(c capStatus) {
		key := string(c.Scope) + "/" + string(c.Period)
		if !seen[key] {
			seen[key] = true
			caps = append(caps, c)
		}
	}
	for _, row := range rows {
		add(capStatus{Scope: row.Scope, Period: row.Period, Amount: row.Amount})
	}
	if deps.Defaults.DailyBudget > 0 {
		add(capStatus{Scope: models.ScopeMember, Period: models.PeriodDay, Amount: deps.Defaults.DailyBudget, Configured: true})
	}
	if deps.Defaults.GlobalMonthlyBudget > 0 {
		add(capStatus{Scope: models.ScopeGlobal, Period: models.PeriodMonth, Amount: deps.Defaults.GlobalMonthlyBudget, Configured: true})
	}

	for i := range caps {
		scope := models.UsageScope{GuildID: guildID}
		switch caps[i].Scope {
		case models.ScopeMember:
			scope.UserID = &userID
		case models.ScopeGlobal:
			scope.GuildID = models.GlobalGuildID
		}
		if err := fillSpent(ctx, deps, &caps[i], scope, now); err != nil {
			return nil, err
		}
	}
	return caps, nil
}

// fillSpent sets what the scope spent in the cap's current period and
// when that period ends.
func fillSpent(ctx context.Context, deps *Deps, c *capStatus, scope models.UsageScope, now time.Time) error {
	start := metering.WindowStart(now, c.Period, deps.Zone)
	c.ResetsAt = windowEnd(start, c.Period)
	if scope.UserID != nil && *scope.UserID == 0 {
		return nil // a member never seen has spent nothing
	}
	spent, err := models.Spent(ctx, deps.DB, scope, metering.Day(start, deps.Zone), start)
	if err != nil {
		return fmt.Errorf("read %s %s spending: %w", c.Scope, c.Period, err)
	}
	c.Spent = spent
	return nil
}

// windowEnd returns the end of the calendar window that starts at start.
// AddDate keeps midnight in the zone across daylight saving changes.
func windowEnd(start time.Time, period models.Period) time.Time {
	switch period {
	case models.PeriodHour:
		return start.Add(time.Hour)
	case models.PeriodWeek:
		return start.AddDate(0, 0, 7)
	case models.PeriodMonth:
		return start.AddDate(0, 1, 0)
	default:
		return start.AddDate(0, 0, 1)
	}
}

// standingLines describes a standing in plain lines: the block, each rate
// limit with the requests used, and each budget.
func standingLines(s standing) []string {
	var lines []string
	if s.Block != nil {
		line := "Blocked from using Tally here, " + describeEnd(s.Block.Until.Time) + "."
		if s.Block.Reason != "" {
			line += " Reason given: " + escapeMarkdown(s.Block.Reason)
		}
		lines = append(lines, line)
	}
	for _, l := range s.Limits {
		line := fmt.Sprintf("Requests: %d of %d used %s (%s). The count restarts %s.",
			l.Used, l.Limit, periodPhrase(l.Period), l.Source, discordRelative(l.ResetsAt))
		if !l.Until.IsZero() {
			line += fmt.Sprintf(" The limit ends %s.", discordTime(l.Until))
		}
		lines = append(lines, line)
	}
	if len(s.Caps) > 0 {
		lines = append(lines, capLines(s.Caps)...)
	}
	if len(lines) == 0 {
		lines = append(lines, "No request limit or spending cap applies.")
	}
	return lines
}

// capLines describes budgets. A member's own budget shows what they
// spent. Shared caps show only what is left, because their spending
// belongs to the whole server or to Tally.
func capLines(caps []capStatus) []string {
	var lines []string
	for _, c := range caps {
		switch c.Scope {
		case models.ScopeMember:
			lines = append(lines, fmt.Sprintf("Budget: %s of %s spent %s. It restarts %s.", c.Spent, c.Amount, periodPhrase(c.Period), discordRelative(c.ResetsAt)))
		case models.ScopeServer:
			lines = append(lines, fmt.Sprintf("Server's spending cap: %s of %s left %s.", c.Left(), c.Amount, periodPhrase(c.Period)))
		default:
			lines = append(lines, fmt.Sprintf("Tally-wide spending cap: %s left %s.", c.Left(), periodPhrase(c.Period)))
		}
	}
	if len(lines) == 0 {
		lines = append(lines, "No spending cap applies.")
	}
	return lines
}
