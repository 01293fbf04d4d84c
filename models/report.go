package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Read-side queries behind /usage, /budget show and /help. Figures come
// from the daily roll-ups, whose day buckets the caller computes in
// Tally's time zone, plus the estimates of requests still pending in the
// ledger.

// UsageScope selects whose usage a query covers.
type UsageScope struct {
	// UserID is the member's usernames_table row ID, or nil for every
	// member.
	UserID *int64
	// GuildID is the server, DMGuildID for direct messages, or
	// GlobalGuildID for every server and DM together.
	GuildID string
}

// EndpointTotal is the usage of one endpoint over a range of days.
type EndpointTotal struct {
	Endpoint string
	// Requests counts the OpenAI requests settled on the endpoint.
	Requests int64
	Cost     MicroUSD
}

// MemberTotal is one member's usage over a range of days.
type MemberTotal struct {
	UserID        int64
	DiscordUserID string
	Username      string
	Requests      int64
	Cost          MicroUSD
}

// PendingTotal counts the requests admitted but not yet settled, with
// their estimated cost.
type PendingTotal struct {
	Requests int64
	Estimate MicroUSD
}

// RateLimitsInForce are the rate-limit rows that can apply to a member in
// a server at one instant, the newest of each kind, or nil where none is
// in force.
type RateLimitsInForce struct {
	// Member is the member's own limit in the server.
	Member *RateLimit
	// ServerDefault applies to members of the server without their own.
	ServerDefault *RateLimit
	// Global is an operator's limit on the member in every server.
	Global *RateLimit
}

// UsageByEndpoint sums the scope's requests and cost per endpoint over
// the days from and to, both included, as YYYY-MM-DD day buckets. The
// result is ordered by cost, highest first.
func UsageByEndpoint(ctx context.Context, db bun.IDB, scope UsageScope, from, to string) ([]EndpointTotal, error) {
	table := "endpoint_usage_table"
	if scope.UserID != nil {
		table = "endpoint_user_usage_table"
	}
	q := db.NewSelect().
		TableExpr(table).
		ColumnExpr("endpoint").
		ColumnExpr("CAST(SUM(usage) AS BIGINT) AS requests").
		ColumnExpr("CAST(SUM(cost_micro_usd) AS BIGINT) AS cost").
		Where("date >= ?", from).
		Where("date <= ?", to).
		Group("endpoint").
		OrderExpr("cost DESC, endpoint")
	q = whereScope(q, scope)

	var rows []struct {
		Endpoint string
		Requests int64
		Cost     int64
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sum usage by endpoint from %s to %s: %w", from, to, err)
	}
	totals := make([]EndpointTotal, len(rows))
	for i, r := range rows {
		totals[i] = EndpointTotal{Endpoint: r.Endpoint, Requests: r.Requests, Cost: MicroUSD(r.Cost)}
	}
	return totals, nil
}

// TopMembers returns the members of a server who spent the most over the
// days from and to, both included, at most limit of them, with their
// latest usernames. Ties are broken by requests, then by row ID.
func TopMembers(ctx context.Context, db bun.IDB, guildID, from, to string, limit int) ([]MemberTotal, error) {
	var rows []struct {
		UserID        int64
		DiscordUserID string
		Username      string
		Requests      int64
		Cost          int64
	}
	err := db.NewSelect().
		TableExpr("endpoint_user_usage_table AS x").
		Join("JOIN usernames_table AS u ON u.id = x.user_id").
		ColumnExpr("u.id AS user_id, u.discord_user_id, u.username").
		ColumnExpr("CAST(SUM(x.usage) AS BIGINT) AS requests").
		ColumnExpr("CAST(SUM(x.cost_micro_usd) AS BIGINT) AS cost").
		Where("x.guild_id = ?", guildID).
		Where("x.date >= ?", from).
		Where("x.date <= ?", to).
		Group("u.id", "u.discord_user_id", "u.username").
		OrderExpr("cost DESC, requests DESC, u.id").
		Limit(int64(limit)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("find top members of %q from %s to %s: %w", guildID, from, to, err)
	}
	members := make([]MemberTotal, len(rows))
	for i, r := range rows {
		members[i] = MemberTotal{UserID: r.UserID, DiscordUserID: r.DiscordUserID, Username: r.Username, Requests: r.Requests, Cost: MicroUSD(r.Cost)}
	}
	return members, nil
}

// PendingUsage counts the scope's ledger rows still pending that were
// admitted at or after since, and sums their estimates.
func PendingUsage(ctx context.Context, db bun.IDB, scope UsageScope, since time.Time) (PendingTotal, error) {
	var row struct {
		Requests int64
		Estimate int64
	}
	q := db.NewSelect().
		TableExpr("usage_ledger_table").
		ColumnExpr("COUNT(*) AS requests").
		ColumnExpr("CAST(COALESCE(SUM(estimate_micro_usd), 0) AS BIGINT) AS estimate").
		Where("status = ?", StatusPending).
		Where("created_at >= ?", since.UTC())
	q = whereScope(q, scope)
	if err := q.Scan(ctx, &row); err != nil {
		return PendingTotal{}, fmt.Errorf("sum pending usage: %w", err)
	}
	return PendingTotal{Requests: row.Requests, Estimate: MicroUSD(row.Estimate)}, nil
}

// CountRequests counts the member's requests admitted at or after since
// that count against rate limits: one per interaction (step 0), pending,
// settled or settled at the estimate, as admission counts them. A
// GuildID of GlobalGuildID counts every server and DM.
func CountRequests(ctx context.Context, db bun.IDB, userID int64, guildID string, since time.Time) (int64, error) {
	q := db.NewSelect().
		Model((*LedgerEntry)(nil)).
		Where("user_id = ?", userID).
		Where("step = 0").
		Where("status IN (?)", bun.In([]LedgerStatus{StatusPending, StatusSettled, StatusUncertain})).
		Where("created_at >= ?", since.UTC())
	if guildID != GlobalGuildID {
		q = q.Where("guild_id = ?", guildID)
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count requests of user %d since %s: %w", userID, since.UTC().Format(time.RFC3339), err)
	}
	return int64(n), nil
}

// Spent returns what the scope spent from the day bucket fromDay on, by
// the roll-ups, plus the estimates of its requests pending since the
// instant that day starts. Both sums are read in one statement, so a
// settlement committing meanwhile is counted once.
func Spent(ctx context.Context, db bun.IDB, scope UsageScope, fromDay string, since time.Time) (MicroUSD, error) {
	table := "endpoint_usage_table"
	if scope.UserID != nil {
		table = "endpoint_user_usage_table"
	}
	settled := db.NewSelect().
		TableExpr(table).
		ColumnExpr("COALESCE(SUM(cost_micro_usd), 0)").
		Where("date >= ?", fromDay)
	settled = whereScope(settled, scope)
	pending := db.NewSelect().
		TableExpr("usage_ledger_table").
		ColumnExpr("COALESCE(SUM(estimate_micro_usd), 0)").
		Where("status = ?", StatusPending).
		Where("created_at >= ?", since.UTC())
	pending = whereScope(pending, scope)

	var total int64
	if err := db.NewRaw("SELECT CAST((?) + (?) AS BIGINT)", settled, pending).Scan(ctx, &total); err != nil {
		return 0, fmt.Errorf("sum spending since %s: %w", fromDay, err)
	}
	return MicroUSD(total), nil
}

// FindRateLimitsInForce returns the rate limits that can apply to the
// member in the server at the instant: their own, the server's default
// and an operator's global one, each the newest in force. A userID of 0
// (a member Tally has never seen) finds only the server's default.
func FindRateLimitsInForce(ctx context.Context, db bun.IDB, userID int64, guildID string, at time.Time) (RateLimitsInForce, error) {
	var rows []RateLimit
	err := db.NewSelect().Model(&rows).
		Where("guild_id IN (?, ?)", guildID, GlobalGuildID).
		Where("(user_id = ? OR user_id IS NULL)", userID).
		Where("lifted_at IS NULL").
		Where("date <= ?", at.UTC()).
		Where("(rate_limited_until IS NULL OR rate_limited_until > ?)", at.UTC()).
		OrderExpr("date DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return RateLimitsInForce{}, fmt.Errorf("find rate limits of user %d in %q: %w", userID, guildID, err)
	}
	var found RateLimitsInForce
	for i := range rows {
		row := &rows[i]
		switch {
		case row.GuildID == guildID && row.UserID != nil && found.Member == nil:
			found.Member = row
		case row.GuildID == guildID && row.UserID == nil && found.ServerDefault == nil:
			found.ServerDefault = row
		case row.GuildID == GlobalGuildID && row.UserID != nil && found.Global == nil:
			found.Global = row
		}
	}
	return found, nil
}

// FindUsersByID returns the users with the given row IDs, keyed by ID.
// IDs with no row are left out.
func FindUsersByID(ctx context.Context, db bun.IDB, ids []int64) (map[int64]User, error) {
	users := map[int64]User{}
	if len(ids) == 0 {
		return users, nil
	}
	var rows []User
	if err := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("find %d users by ID: %w", len(ids), err)
	}
	for _, u := range rows {
		users[u.ID] = u
	}
	return users, nil
}

// whereScope restricts q to the scope's member and server.
func whereScope(q *bun.SelectQuery, scope UsageScope) *bun.SelectQuery {
	if scope.UserID != nil {
		q = q.Where("user_id = ?", *scope.UserID)
	}
	if scope.GuildID != GlobalGuildID {
		q = q.Where("guild_id = ?", scope.GuildID)
	}
	return q
}
