// Package report turns the daily roll-ups and the ledger into what owners
// and operators read: a summary table, a CSV export of the ledger and a
// PNG chart of daily cost by endpoint with the top members.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// Period is a range of day buckets, both ends included, as YYYY-MM-DD in
// Tally's time zone.
type Period struct {
	Since, Until string
}

// Days lists every day of the period in order.
func (p Period) Days() ([]string, error) {
	start, err := time.Parse(time.DateOnly, p.Since)
	if err != nil {
		return nil, fmt.Errorf("invalid start day %q: use YYYY-MM-DD", p.Since)
	}
	end, err := time.Parse(time.DateOnly, p.Until)
	if err != nil {
		return nil, fmt.Errorf("invalid end day %q: use YYYY-MM-DD", p.Until)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("the period ends (%s) before it starts (%s)", p.Until, p.Since)
	}
	var days []string
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	return days, nil
}

// DailyCost is one server's (or every server's) requests and cost on one
// endpoint on one day.
type DailyCost struct {
	Date     string          `bun:"date"`
	Endpoint string          `bun:"endpoint"`
	Requests int64           `bun:"requests"`
	Cost     models.MicroUSD `bun:"cost"`
}

// MemberCost is one member's requests and cost over a period.
type MemberCost struct {
	DiscordUserID string          `bun:"discord_user_id"`
	Username      string          `bun:"username"`
	Requests      int64           `bun:"requests"`
	Cost          models.MicroUSD `bun:"cost"`
}

// Summary is a period's usage in one server, or in all of them.
type Summary struct {
	// GuildID is the server, or "" for every server.
	GuildID string
	Period  Period
	Daily   []DailyCost
	Top     []MemberCost
	// Requests and Cost are the period's totals.
	Requests int64
	Cost     models.MicroUSD
}

// Summarize reads the period's usage from the daily roll-ups: cost by day
// and endpoint, and the top members by cost.
func Summarize(ctx context.Context, db bun.IDB, guildID string, period Period, topN int) (Summary, error) {
	s := Summary{GuildID: guildID, Period: period}
	q := db.NewSelect().
		TableExpr("endpoint_usage_table").
		ColumnExpr("CAST(date AS TEXT) AS date, endpoint, SUM(usage) AS requests, SUM(cost_micro_usd) AS cost").
		Where("date >= ? AND date <= ?", period.Since, period.Until).
		GroupExpr("date, endpoint").
		OrderExpr("date, endpoint")
	if guildID != "" {
		q = q.Where("guild_id = ?", guildID)
	}
	if err := q.Scan(ctx, &s.Daily); err != nil {
		return Summary{}, fmt.Errorf("sum daily usage: %w", err)
	}
	for _, d := range s.Daily {
		s.Requests += d.Requests
		s.Cost += d.Cost
	}

	top := db.NewSelect().
		TableExpr("endpoint_user_usage_table AS u").
		Join("JOIN usernames_table AS n ON n.id = u.user_id").
		ColumnExpr("n.discord_user_id, n.username, SUM(u.usage) AS requests, SUM(u.cost_micro_usd) AS cost").
		Where("u.date >= ? AND u.date <= ?", period.Since, period.Until).
		GroupExpr("n.discord_user_id, n.username").
		OrderExpr("cost DESC, n.discord_user_id").
		Limit(int64(topN))
	if guildID != "" {
		top = top.Where("u.guild_id = ?", guildID)
	}
	if err := top.Scan(ctx, &s.Top); err != nil {
		return Summary{}, fmt.Errorf("rank members by cost: %w", err)
	}
	return s, nil
}
