package models_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// Scale of the server-summary benchmark: a million ledger rows over 30
// days, from 10,000 members in 10 servers.
const (
	benchLedgerRows = 1_000_000
	benchMembers    = 10_000
	benchServers    = 10
	benchDays       = 30
)

// seedLedger fills the ledger with benchLedgerRows settled calls spread
// evenly over members, servers and the 30 days before end, and builds the
// daily roll-ups from them, as settlement would have.
func seedLedger(b *testing.B, db *bun.DB, end time.Time) {
	b.Helper()
	ctx := context.Background()
	start := end.AddDate(0, 0, -benchDays+1)
	statements := []string{
		fmt.Sprintf(`INSERT INTO usernames_table (discord_user_id, username, date_created, date_updated)
			SELECT (100000 + g)::text, 'member' || g, now(), now() FROM generate_series(1, %d) AS g`, benchMembers),
	}
	// Batches of 100,000 rows keep each statement inside the driver's read
	// timeout on a busy machine.
	const batch = 100_000
	for first := 1; first <= benchLedgerRows; first += batch {
		statements = append(statements, fmt.Sprintf(`INSERT INTO usage_ledger_table (interaction_id, step, user_id, guild_id, channel_id, endpoint, model,
				status, day, created_at, settled_at, units, image_output_tokens, estimate_micro_usd, cost_micro_usd)
			SELECT 'i' || g, 0, 1 + g %% %d, (500 + g %% %d)::text, '222', 'openai_images_generate', 'gpt-image-2',
				'settled', d::date, d, d, 1, 1056, 31730, 31680 + g %% 100
			FROM generate_series(%d, %d) AS g,
				LATERAL (SELECT TIMESTAMPTZ '%s' + ((g %% %d) || ' days')::interval + ((g %% 86400) || ' seconds')::interval AS d) AS t`,
			benchMembers, benchServers, first, first+batch-1, start.Format(time.RFC3339), benchDays))
	}
	statements = append(statements,
		`INSERT INTO endpoint_user_usage_table (guild_id, endpoint, user_id, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, user_id, day, COUNT(*), SUM(cost_micro_usd) FROM usage_ledger_table
			GROUP BY guild_id, endpoint, user_id, day`,
		`INSERT INTO endpoint_usage_table (guild_id, endpoint, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, day, COUNT(*), SUM(cost_micro_usd) FROM usage_ledger_table
			GROUP BY guild_id, endpoint, day`,
		`ANALYZE`,
	)
	for _, stmt := range statements {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

// BenchmarkServerUsageSummary times the queries of the server summary
// that /usage shows moderators: totals by endpoint, the top ten members
// and the pending requests, over 30 days and a million ledger rows, on
// PostgreSQL.
func BenchmarkServerUsageSummary(b *testing.B) {
	if !models.IsPostgresURL(os.Getenv("DATABASE_URL")) {
		b.Skip("set DATABASE_URL to a PostgreSQL server to run this benchmark")
	}
	db := dbtest.Open(b, "postgres")
	end := time.Now().UTC()
	seedLedger(b, db, end)
	ctx := context.Background()
	from := end.AddDate(0, 0, -benchDays+1).Format(time.DateOnly)
	to := end.Format(time.DateOnly)
	scope := models.UsageScope{GuildID: "503"}

	b.ResetTimer()
	for b.Loop() {
		totals, err := models.UsageByEndpoint(ctx, db, scope, from, to)
		if err != nil || len(totals) != 1 || totals[0].Requests != benchLedgerRows/benchServers {
			b.Fatalf("totals = %+v, %v; want one endpoint with %d requests", totals, err, benchLedgerRows/benchServers)
		}
		top, err := models.TopMembers(ctx, db, "503", from, to, 10)
		if err != nil || len(top) != 10 {
			b.Fatalf("top members = %d, %v", len(top), err)
		}
		if _, err := models.PendingUsage(ctx, db, scope, end.AddDate(0, 0, -benchDays)); err != nil {
			b.Fatal(err)
		}
	}
}
