package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// BlacklistParams describes a blacklist entry to add.
type BlacklistParams struct {
	// UserID is the blacklisted member's usernames_table row ID.
	UserID int64
	// GuildID is the server the entry applies in, or GlobalGuildID for
	// every server and direct messages.
	GuildID string
	Reason  string
	// By is the moderator's usernames_table row ID, or nil for the
	// operator's command line.
	By *int64
	// Until is the instant the entry stops blocking; zero means never.
	Until time.Time
}

// AddBlacklistEntry inserts a blacklist entry starting at now, and its
// blacklist_add log row, in one transaction on db (a savepoint when db is a
// bun.Tx). Entries already in force for the member stay: the one that ends
// last decides when the member is admitted again. Invalid parameters return
// an error wrapping ErrInvalidModeration.
func AddBlacklistEntry(ctx context.Context, db bun.IDB, p BlacklistParams, now time.Time) (BlacklistEntry, error) {
	if p.UserID <= 0 {
		return BlacklistEntry{}, fmt.Errorf("%w: missing member for the blacklist entry", ErrInvalidModeration)
	}
	if err := validateGuild(p.GuildID); err != nil {
		return BlacklistEntry{}, err
	}
	if err := validateUntil(p.Until, now); err != nil {
		return BlacklistEntry{}, err
	}

	entry := BlacklistEntry{
		UserID:  p.UserID,
		GuildID: p.GuildID,
		Date:    now.UTC(),
		Reason:  p.Reason,
		By:      p.By,
		Until:   nullTime(p.Until),
	}
	err := inTx(ctx, db, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&entry).Exec(ctx); err != nil {
			return fmt.Errorf("insert blacklist entry: %w", err)
		}
		return logModeration(ctx, tx, p.GuildID, p.By, &p.UserID, ActionBlacklistAdd, untilDetail(entry.Until), p.Reason, now)
	})
	if err != nil {
		return BlacklistEntry{}, fmt.Errorf("add blacklist entry for user %d in %q: %w", p.UserID, p.GuildID, err)
	}
	return entry, nil
}

// LiftBlacklist lifts every entry that blocks the member in the scope at
// now (the server, or GlobalGuildID), setting lifted_at to now and
// lifted_by to by, and writes one blacklist_lift log row, in one
// transaction. Entries of other scopes are untouched: lifting a member in
// a server leaves an operator's global entry in force. It returns the
// number of entries lifted, or ErrNoActiveEntry when none was in force.
func LiftBlacklist(ctx context.Context, db bun.IDB, userID int64, guildID string, by *int64, reason string, now time.Time) (int, error) {
	if err := validateGuild(guildID); err != nil {
		return 0, err
	}

	var lifted int
	err := inTx(ctx, db, func(tx bun.Tx) error {
		if err := lockScope(ctx, tx, scopeKey("blacklist", guildID, &userID)); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*BlacklistEntry)(nil)).
			Set("lifted_at = ?", now.UTC()).
			Set("lifted_by = ?", by).
			Where("user_id = ?", userID).
			Where("guild_id = ?", guildID).
			Where("lifted_at IS NULL").
			Where("(blacklisted_until IS NULL OR blacklisted_until > ?)", now.UTC()).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("lift blacklist entries: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("count lifted blacklist entries: %w", err)
		}
		if n == 0 {
			return ErrNoActiveEntry
		}
		lifted = int(n)
		detail := fmt.Sprintf("lifted %d entries", n)
		if n == 1 {
			detail = "lifted 1 entry"
		}
		return logModeration(ctx, tx, guildID, by, &userID, ActionBlacklistLift, detail, reason, now)
	})
	if err != nil {
		return 0, fmt.Errorf("lift blacklist of user %d in %q: %w", userID, guildID, err)
	}
	return lifted, nil
}

// ListBlacklist returns the entries of one scope (a server, or
// GlobalGuildID for the global ones), newest first, split into those still
// in force at now and those lifted or ended. An entry is in force when it
// is neither lifted nor past its end date, the same rule LiftBlacklist
// uses.
func ListBlacklist(ctx context.Context, db bun.IDB, guildID string, now time.Time) (active, past []BlacklistEntry, err error) {
	var entries []BlacklistEntry
	err = db.NewSelect().Model(&entries).
		Where("guild_id = ?", guildID).
		OrderExpr("date DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list blacklist of %q: %w", guildID, err)
	}
	for _, e := range entries {
		if e.LiftedAt.IsZero() && (e.Until.IsZero() || e.Until.Time.After(now)) {
			active = append(active, e)
		} else {
			past = append(past, e)
		}
	}
	return active, past, nil
}
