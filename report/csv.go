package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// csvHeader names the columns of the ledger export.
var csvHeader = []string{
	"created_at", "day", "interaction_id", "step", "discord_user_id", "username", "guild_id", "channel_id",
	"endpoint", "model", "size", "quality", "status", "units",
	"text_input_tokens", "cached_input_tokens", "image_input_tokens", "cached_image_input_tokens",
	"text_output_tokens", "image_output_tokens", "estimate_usd", "cost_usd", "openai_request_id", "failure",
}

// ledgerRow is a ledger row with its member's Discord ID and username.
type ledgerRow struct {
	bun.BaseModel `bun:"table:usage_ledger_table,alias:ledger_row"`
	models.LedgerEntry
	DiscordUserID string `bun:"discord_user_id,scanonly"`
	Username      string `bun:"username,scanonly"`
}

// WriteLedgerCSV writes the ledger rows of the period's days (one server's,
// or every server's when guildID is empty) as CSV, oldest first. Amounts
// are dollars with six decimal places, exact, as the ledger holds them.
// Prompts are left out: they are the members' words, not accounting.
func WriteLedgerCSV(ctx context.Context, db bun.IDB, w io.Writer, guildID string, period Period) error {
	out := csv.NewWriter(w)
	if err := out.Write(csvHeader); err != nil {
		return err
	}
	const batch = 1000
	lastID := int64(0)
	for {
		var rows []ledgerRow
		q := db.NewSelect().Model(&rows).
			ColumnExpr("ledger_row.*").
			ColumnExpr("n.discord_user_id, n.username").
			Join("JOIN usernames_table AS n ON n.id = ledger_row.user_id").
			Where("ledger_row.day >= ? AND ledger_row.day <= ?", period.Since, period.Until).
			Where("ledger_row.id > ?", lastID).
			OrderExpr("ledger_row.id").
			Limit(batch)
		if guildID != "" {
			q = q.Where("ledger_row.guild_id = ?", guildID)
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("read ledger rows: %w", err)
		}
		for _, r := range rows {
			if err := out.Write(r.record()); err != nil {
				return err
			}
			lastID = r.ID
		}
		if len(rows) < batch {
			break
		}
	}
	out.Flush()
	return out.Error()
}

func (r ledgerRow) record() []string {
	i := strconv.FormatInt
	return []string{
		r.CreatedAt.UTC().Format(time.RFC3339Nano), dayText(r.Day), r.InteractionID, strconv.Itoa(r.Step),
		r.DiscordUserID, r.Username, r.GuildID, r.ChannelID,
		r.Endpoint, r.Model, r.Size, r.Quality, string(r.Status), strconv.Itoa(r.Units),
		i(r.TextInputTokens, 10), i(r.CachedInputTokens, 10), i(r.ImageInputTokens, 10), i(r.CachedImageInputTokens, 10),
		i(r.TextOutputTokens, 10), i(r.ImageOutputTokens, 10),
		Dollars(r.Estimate), Dollars(r.Cost), r.OpenAIRequestID, r.Failure,
	}
}

// Dollars formats an amount as a plain decimal number of dollars with six
// decimal places, for spreadsheets: 40000 µ$ is "0.040000".
func Dollars(m models.MicroUSD) string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%06d", sign, v/models.MicroPerUSD, v%models.MicroPerUSD)
}

// dayText trims a day read back from PostgreSQL's DATE to YYYY-MM-DD.
func dayText(day string) string {
	if len(day) > len(time.DateOnly) {
		return day[:len(time.DateOnly)]
	}
	return day
}
