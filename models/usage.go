package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// EndpointUsage is a row of endpoint_usage_table: one server's requests
// and cost on one endpoint on one day.
type EndpointUsage struct {
	bun.BaseModel `bun:"table:endpoint_usage_table"`

	ID       int64    `bun:"id,pk,autoincrement"`
	GuildID  string   `bun:"guild_id,notnull"`
	Endpoint string   `bun:"endpoint,notnull"`
	Date     string   `bun:"date,notnull"`
	Usage    int64    `bun:"usage,notnull"`
	Cost     MicroUSD `bun:"cost_micro_usd,notnull"`
}

// EndpointUserUsage is a row of endpoint_user_usage_table: one member's
// requests and cost in one server on one endpoint on one day.
type EndpointUserUsage struct {
	bun.BaseModel `bun:"table:endpoint_user_usage_table"`

	ID       int64    `bun:"id,pk,autoincrement"`
	GuildID  string   `bun:"guild_id,notnull"`
	Endpoint string   `bun:"endpoint,notnull"`
	UserID   int64    `bun:"user_id,notnull"`
	Date     string   `bun:"date,notnull"`
	Usage    int64    `bun:"usage,notnull"`
	Cost     MicroUSD `bun:"cost_micro_usd,notnull"`
}

// AddUsage adds requests and cost to the day's roll-ups of the server and
// of the member. The increments are explicit sums qualified by table name:
// a bare "usage + 1" is ambiguous in PostgreSQL, and setting the new value
// would overwrite the earlier calls of the day.
func AddUsage(ctx context.Context, db bun.IDB, guildID, endpoint string, userID int64, day string, requests int64, cost MicroUSD) error {
	if _, err := db.ExecContext(ctx, `
		INSERT INTO endpoint_usage_table (guild_id, endpoint, date, usage, cost_micro_usd)
		VALUES (?, ?, ?, ?, ?)`+addServerUsage,
		guildID, endpoint, day, requests, int64(cost)); err != nil {
		return fmt.Errorf("add server usage: %w", err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO endpoint_user_usage_table (guild_id, endpoint, user_id, date, usage, cost_micro_usd)
		VALUES (?, ?, ?, ?, ?, ?)`+addMemberUsage,
		guildID, endpoint, userID, day, requests, int64(cost)); err != nil {
		return fmt.Errorf("add member usage: %w", err)
	}
	return nil
}

// The conflict clauses that add a call to an existing roll-up row.
const (
	addServerUsage = `
		ON CONFLICT (guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd`
	addMemberUsage = `
		ON CONFLICT (user_id, guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_user_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_user_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd`
)

// CloseLedgerEntryPG writes a closed ledger row, if it is still pending,
// and adds requests and its cost to both roll-ups, in one PostgreSQL
// statement: data-modifying CTEs run as one atomic statement, which saves
// the four round trips of BEGIN, separate statements and COMMIT. It
// reports whether the row was still pending. SQLite has no data-modifying
// CTEs; use an UPDATE and AddUsage in a transaction there.
func CloseLedgerEntryPG(ctx context.Context, db bun.IDB, e *LedgerEntry, requests int64) (bool, error) {
	var closed int
	err := db.NewRaw(`
		WITH closed AS (
			UPDATE usage_ledger_table SET
				status = ?, cost_micro_usd = ?, units = ?,
				text_input_tokens = ?, cached_input_tokens = ?, image_input_tokens = ?,
				cached_image_input_tokens = ?, text_output_tokens = ?, image_output_tokens = ?,
				openai_request_id = ?, latency_ms = ?, attempts = ?, failure = ?, settled_at = ?
			WHERE id = ? AND status = 'pending'
			RETURNING guild_id, endpoint, user_id, day, cost_micro_usd
		), server AS (
			INSERT INTO endpoint_usage_table (guild_id, endpoint, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, day, ?, cost_micro_usd FROM closed WHERE ? > 0`+addServerUsage+`
		), member AS (
			INSERT INTO endpoint_user_usage_table (guild_id, endpoint, user_id, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, user_id, day, ?, cost_micro_usd FROM closed WHERE ? > 0`+addMemberUsage+`
		)
		SELECT COUNT(*) FROM closed`,
		e.Status, int64(e.Cost), e.Units,
		e.TextInputTokens, e.CachedInputTokens, e.ImageInputTokens,
		e.CachedImageInputTokens, e.TextOutputTokens, e.ImageOutputTokens,
		e.OpenAIRequestID, e.LatencyMS, e.Attempts, e.Failure, e.SettledAt,
		e.ID, requests, requests, requests, requests).Scan(ctx, &closed)
	if err != nil {
		return false, fmt.Errorf("close ledger row %d: %w", e.ID, err)
	}
	return closed == 1, nil
}
