package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Moderation actions, stored in moderation_log_table.action.
const (
	ActionBlacklistAdd   = "blacklist_add"
	ActionBlacklistLift  = "blacklist_lift"
	ActionRateLimitSet   = "ratelimit_set"
	ActionRateLimitClear = "ratelimit_clear"
	ActionBudgetSet      = "budget_set"
	ActionBudgetClear    = "budget_clear"
)

// ErrInvalidModeration is wrapped by the errors the moderation operations
// return for input they reject before touching the database. The message
// names the value and the rule, so it can be shown to the moderator.
var ErrInvalidModeration = errors.New("invalid moderation change")

// ErrNoActiveEntry is returned when a lift or clear finds nothing in force
// in the scope. Nothing is written in that case, not even a log row.
var ErrNoActiveEntry = errors.New("no active entry")

// inTx runs fn in a transaction on db and commits only if fn succeeds. A
// *bun.DB starts a transaction (BEGIN IMMEDIATE on SQLite, as models.Open
// configures it), and a bun.Tx starts a savepoint, so a caller that already
// holds a transaction keeps the change and its log row inside it.
func inTx(ctx context.Context, db bun.IDB, fn func(tx bun.Tx) error) error {
	// bun passes a savepoint the context of the outer transaction rather
	// than ours, so the callback ignores it and keeps using ctx.
	return db.RunInTx(ctx, nil, func(_ context.Context, tx bun.Tx) error {
		return fn(tx)
	})
}

// lockScope serialises the changes to one moderation scope on PostgreSQL,
// so that two moderators setting a limit at once still leave exactly one in
// force. The lock is held until the transaction ends. SQLite needs none
// because its transactions take the write lock when they begin.
func lockScope(ctx context.Context, tx bun.Tx, key string) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("tally moderation " + key))
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(h.Sum64()>>1)); err != nil {
		return fmt.Errorf("lock moderation scope %s: %w", key, err)
	}
	return nil
}

// logModeration inserts the log row of a change made in tx.
func logModeration(ctx context.Context, tx bun.Tx, guildID string, actor, target *int64, action, detail, reason string, now time.Time) error {
	return InsertModerationLog(ctx, tx, &ModerationLogEntry{
		GuildID:      guildID,
		ActorID:      actor,
		TargetUserID: target,
		Action:       action,
		Detail:       detail,
		Reason:       reason,
		Date:         now,
	})
}

// validateGuild rejects the DM server key as a scope. Direct messages have
// no moderators, and only global entries and the configured defaults apply
// there, so no moderator could list or lift an entry keyed on DMGuildID.
func validateGuild(guildID string) error {
	if guildID == DMGuildID {
		return fmt.Errorf("%w: server %q is the direct-message key; use the global scope for entries that apply in DMs", ErrInvalidModeration, guildID)
	}
	return nil
}

// validateUntil rejects an end date that is not after now. A zero until
// means the entry never ends.
func validateUntil(until, now time.Time) error {
	if !until.IsZero() && !until.After(now) {
		return fmt.Errorf("%w: end date %s is not after the current time %s",
			ErrInvalidModeration, until.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// validateRequestLimit checks a request count against the INTEGER column
// that stores it.
func validateRequestLimit(limit int) error {
	if limit < 1 || limit > math.MaxInt32 {
		return fmt.Errorf("%w: request limit %d must be between 1 and %d", ErrInvalidModeration, limit, math.MaxInt32)
	}
	return nil
}

func nullTime(t time.Time) bun.NullTime {
	if t.IsZero() {
		return bun.NullTime{}
	}
	return bun.NullTime{Time: t.UTC()}
}

// untilDetail describes an end date for a log row.
func untilDetail(until bun.NullTime) string {
	if until.IsZero() {
		return "no end date"
	}
	return "until " + until.Time.UTC().Format(time.RFC3339)
}

// whereUser restricts q to the member, or to rows without a member when
// userID is nil.
func whereUser(q bun.QueryBuilder, userID *int64) bun.QueryBuilder {
	if userID == nil {
		return q.Where("user_id IS NULL")
	}
	return q.Where("user_id = ?", *userID)
}

// scopeKey names a moderation scope in locks: the kind of entry, the
// server and the member ("-" for none).
func scopeKey(kind, guildID string, userID *int64) string {
	if userID == nil {
		return fmt.Sprintf("%s:%s:-", kind, guildID)
	}
	return fmt.Sprintf("%s:%s:%d", kind, guildID, *userID)
}
