package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ModerationLogEntry is a row of moderation_log_table: one blacklist,
// rate-limit or budget change, who made it, on whom and why.
type ModerationLogEntry struct {
	bun.BaseModel `bun:"table:moderation_log_table"`

	ID           int64     `bun:"id,pk,autoincrement"`
	GuildID      string    `bun:"guild_id,notnull"`
	ActorID      *int64    `bun:"actor_id"`
	TargetUserID *int64    `bun:"target_user_id"`
	Action       string    `bun:"action,notnull"`
	Detail       string    `bun:"detail,notnull"`
	Reason       string    `bun:"reason,notnull"`
	Date         time.Time `bun:"date,notnull"`
}

// InsertModerationLog records one moderation change.
func InsertModerationLog(ctx context.Context, db bun.IDB, entry *ModerationLogEntry) error {
	entry.Date = entry.Date.UTC()
	if _, err := db.NewInsert().Model(entry).Exec(ctx); err != nil {
		return fmt.Errorf("insert moderation log %s: %w", entry.Action, err)
	}
	return nil
}
