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
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd`,
		guildID, endpoint, day, requests, int64(cost)); err != nil {
		return fmt.Errorf("add server usage: %w", err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO endpoint_user_usage_table (guild_id, endpoint, user_id, date, usage, cost_micro_usd)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_user_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_user_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd`,
		guildID, endpoint, userID, day, requests, int64(cost)); err != nil {
		return fmt.Errorf("add member usage: %w", err)
	}
	return nil
}
