package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// User is a row of usernames_table: one Discord user, keyed by their
// Discord user ID, with the latest username seen.
type User struct {
	bun.BaseModel `bun:"table:usernames_table"`

	ID            int64     `bun:"id,pk,autoincrement"`
	DiscordUserID string    `bun:"discord_user_id,notnull,unique"`
	Username      string    `bun:"username,notnull"`
	DateCreated   time.Time `bun:"date_created,notnull"`
	DateUpdated   time.Time `bun:"date_updated,notnull"`
}

// UpsertUser inserts the user or updates their username, and returns the
// row. On PostgreSQL the statement also locks the user's row until the
// transaction ends, which is what serialises one member's admissions.
func UpsertUser(ctx context.Context, db bun.IDB, discordUserID, username string, now time.Time) (User, error) {
	var user User
	err := db.NewRaw(`
		INSERT INTO usernames_table (discord_user_id, username, date_created, date_updated)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (discord_user_id) DO UPDATE
		SET username = EXCLUDED.username, date_updated = EXCLUDED.date_updated
		RETURNING id, discord_user_id, username, date_created, date_updated`,
		discordUserID, username, now.UTC(), now.UTC()).Scan(ctx, &user)
	if err != nil {
		return User{}, fmt.Errorf("upsert user %s: %w", discordUserID, err)
	}
	return user, nil
}

// FindUserByDiscordID returns the user with that Discord ID, or
// sql.ErrNoRows (wrapped) when Tally has never seen them.
func FindUserByDiscordID(ctx context.Context, db bun.IDB, discordUserID string) (User, error) {
	var user User
	err := db.NewSelect().Model(&user).Where("discord_user_id = ?", discordUserID).Scan(ctx)
	if err != nil {
		return User{}, fmt.Errorf("find user %s: %w", discordUserID, err)
	}
	return user, nil
}
