package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Assistant is a row of assistant_table: a named set of instructions and a
// model that members talk to through the Responses API. Since OpenAI
// switched the Assistants API off, the assistant exists only in this table.
type Assistant struct {
	bun.BaseModel `bun:"table:assistant_table,alias:assistant"`

	ID        int64 `bun:"id,pk,autoincrement"`
	CreatorID int64 `bun:"creator_id,notnull"`
	// AssistantID is Tally's public identifier, "asst_" and 24 hex digits.
	AssistantID string `bun:"assistant_id,notnull,unique"`
	// GuildID is the assistant's scope: a server ID, or DMAssistantScope of
	// its creator for an assistant made in a direct message.
	GuildID      string `bun:"guild_id,notnull"`
	Name         string `bun:"name,notnull"`
	Instructions string `bun:"instructions,notnull"`
	Model        string `bun:"model,notnull"`
	// Tools lists the names of the bot's function tools the assistant may
	// call, separated by commas.
	Tools       string       `bun:"tools,notnull"`
	DateCreated time.Time    `bun:"date_created,notnull"`
	DateDeleted bun.NullTime `bun:"date_deleted"`
}

// AssistantWithCreator is an assistant with its creator's latest username.
type AssistantWithCreator struct {
	Assistant       `bun:",extend"`
	CreatorUsername string `bun:"creator_username,scanonly"`
	CreatorDiscord  string `bun:"creator_discord_id,scanonly"`
}

// ErrAssistantNotFound is returned when no active assistant matches.
var ErrAssistantNotFound = errors.New("assistant not found")

// ErrAssistantNameTaken is returned by CreateAssistant when the scope
// already has an active assistant of that name, whatever its letter case.
var ErrAssistantNameTaken = errors.New("assistant name taken")

// DMAssistantScope returns the scope of assistants created in direct
// messages by one member. Each member's DM assistants are their own, so
// nobody sees another member's names or instructions.
func DMAssistantScope(discordUserID string) string {
	return DMGuildID + ":" + discordUserID
}

// NewAssistantID returns a fresh public assistant identifier.
func NewAssistantID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate assistant id: %w", err)
	}
	return "asst_" + hex.EncodeToString(b[:]), nil
}

// CreateAssistant inserts a, filling in AssistantID when it is empty. It
// returns ErrAssistantNameTaken when an active assistant in the same scope
// has the name in any letter case.
//
// NOTE: the case-insensitive check and the insert are two statements, so
// two concurrent creates of "Helper" and "helper" on PostgreSQL can both
// succeed. The table's unique key still rejects two identical names.
func CreateAssistant(ctx context.Context, db bun.IDB, a *Assistant) error {
	if a.AssistantID == "" {
		id, err := NewAssistantID()
		if err != nil {
			return err
		}
		a.AssistantID = id
	}
	if _, err := FindAssistant(ctx, db, a.GuildID, a.Name); err == nil {
		return fmt.Errorf("create assistant %q: %w", a.Name, ErrAssistantNameTaken)
	} else if !errors.Is(err, ErrAssistantNotFound) {
		return err
	}

	res, err := db.NewInsert().Model(a).On("CONFLICT (guild_id, name) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("insert assistant %q: %w", a.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create assistant %q: %w", a.Name, ErrAssistantNameTaken)
	}
	return nil
}

// FindAssistant returns the active assistant of the scope with that name,
// compared without letter case, or ErrAssistantNotFound.
func FindAssistant(ctx context.Context, db bun.IDB, scope, name string) (Assistant, error) {
	var a Assistant
	err := db.NewSelect().Model(&a).
		Where("guild_id = ?", scope).
		Where("lower(name) = lower(?)", name).
		Where("date_deleted IS NULL").
		OrderExpr("CASE WHEN name = ? THEN 0 ELSE 1 END", name).
		Limit(1).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Assistant{}, fmt.Errorf("find assistant %q: %w", name, ErrAssistantNotFound)
	}
	if err != nil {
		return Assistant{}, fmt.Errorf("find assistant %q: %w", name, err)
	}
	return a, nil
}

// FindAssistantByID returns the assistant with that row ID, deleted or not.
func FindAssistantByID(ctx context.Context, db bun.IDB, id int64) (Assistant, error) {
	var a Assistant
	err := db.NewSelect().Model(&a).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Assistant{}, fmt.Errorf("find assistant %d: %w", id, ErrAssistantNotFound)
	}
	if err != nil {
		return Assistant{}, fmt.Errorf("find assistant %d: %w", id, err)
	}
	return a, nil
}

// CountAssistants returns the number of active assistants in the scope.
func CountAssistants(ctx context.Context, db bun.IDB, scope string) (int, error) {
	n, err := db.NewSelect().Model((*Assistant)(nil)).
		Where("guild_id = ?", scope).
		Where("date_deleted IS NULL").
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count assistants in %s: %w", scope, err)
	}
	return int(n), nil
}

// ListAssistants returns the active assistants of the scope by name, each
// with its creator's latest username.
func ListAssistants(ctx context.Context, db bun.IDB, scope string) ([]AssistantWithCreator, error) {
	var out []AssistantWithCreator
	err := db.NewSelect().Model(&out).
		ColumnExpr("assistant.*").
		ColumnExpr("u.username AS creator_username").
		ColumnExpr("u.discord_user_id AS creator_discord_id").
		Join("JOIN usernames_table AS u ON u.id = assistant.creator_id").
		Where("assistant.guild_id = ?", scope).
		Where("assistant.date_deleted IS NULL").
		OrderExpr("lower(assistant.name), assistant.id").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list assistants in %s: %w", scope, err)
	}
	return out, nil
}

// DeleteAssistant marks the assistant deleted at now, or returns
// ErrAssistantNotFound when it is already deleted. The deleted row keeps
// its conversations' history, but its name gets the suffix
// " (deleted asst_…)", because the table's unique key on (guild_id, name)
// covers deleted rows too and the name must be free for a new assistant.
func DeleteAssistant(ctx context.Context, db bun.IDB, id int64, now time.Time) error {
	res, err := db.NewUpdate().Model((*Assistant)(nil)).
		Set("date_deleted = ?", now.UTC()).
		Set("name = name || ' (deleted ' || assistant_id || ')'").
		Where("id = ?", id).
		Where("date_deleted IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete assistant %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete assistant %d: %w", id, ErrAssistantNotFound)
	}
	return nil
}
