package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// BlacklistEntry is a row of blacklisted_user_table. It blocks the member
// in GuildID (or everywhere when GuildID is GlobalGuildID) from Date until
// Until (for ever when Until is null), unless it was lifted.
type BlacklistEntry struct {
	bun.BaseModel `bun:"table:blacklisted_user_table"`

	ID       int64        `bun:"id,pk,autoincrement"`
	UserID   int64        `bun:"user_id,notnull"`
	GuildID  string       `bun:"guild_id,notnull"`
	Date     time.Time    `bun:"date,notnull"`
	Reason   string       `bun:"reason,notnull"`
	By       *int64       `bun:"blacklisted_by"`
	Until    bun.NullTime `bun:"blacklisted_until"`
	LiftedAt bun.NullTime `bun:"lifted_at"`
	LiftedBy *int64       `bun:"lifted_by"`
}

// FindActiveBlacklist returns the entry that blocks the user in the server
// at the given time, preferring a global entry, or sql.ErrNoRows (wrapped)
// when none does. An entry stops blocking at the instant Until is reached,
// so expired entries need no clean-up.
func FindActiveBlacklist(ctx context.Context, db bun.IDB, userID int64, guildID string, at time.Time) (BlacklistEntry, error) {
	var entry BlacklistEntry
	err := db.NewSelect().Model(&entry).
		Where("user_id = ?", userID).
		Where("guild_id IN (?, ?)", guildID, GlobalGuildID).
		Where("lifted_at IS NULL").
		Where("date <= ?", at.UTC()).
		Where("(blacklisted_until IS NULL OR blacklisted_until > ?)", at.UTC()).
		OrderExpr("CASE WHEN guild_id = '' THEN 0 ELSE 1 END").
		OrderExpr("blacklisted_until IS NULL DESC, blacklisted_until DESC").
		Limit(1).
		Scan(ctx)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return BlacklistEntry{}, fmt.Errorf("find blacklist entry: %w", err)
		}
		return BlacklistEntry{}, fmt.Errorf("find blacklist entry for user %d: %w", userID, err)
	}
	return entry, nil
}
