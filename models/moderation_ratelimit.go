package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// RateLimitParams describes a rate limit to set.
type RateLimitParams struct {
	// UserID is the member's usernames_table row ID, or nil for the
	// server's default, which applies to members without their own limit.
	UserID *int64
	// GuildID is the server, or GlobalGuildID for an operator's limit on
	// one member that applies everywhere on top of the server's.
	GuildID string
	// Limit is the number of requests allowed per Period.
	Limit int
	// Period is PeriodHour, PeriodDay or PeriodWeek.
	Period Period
	// Until is the instant the limit stops applying; zero means never.
	Until  time.Time
	Reason string
	// By is the moderator's usernames_table row ID, or nil for the
	// operator's command line.
	By *int64
}

// SetRateLimit puts a rate limit in force from now and lifts the limits
// already in force in the same scope, whatever their period, so exactly one
// is in force per scope. A scope is a member or the server default, in one
// server or globally. Admission applies only the newest limit of each
// scope, so an older one left in force would be listed but never enforced.
// The change and its ratelimit_set log row are written in one transaction
// on db (a savepoint when db is a bun.Tx). Invalid parameters return an
// error wrapping ErrInvalidModeration.
func SetRateLimit(ctx context.Context, db bun.IDB, p RateLimitParams, now time.Time) (RateLimit, error) {
	if err := validateRateLimit(p, now); err != nil {
		return RateLimit{}, err
	}

	limit := RateLimit{
		UserID:  p.UserID,
		GuildID: p.GuildID,
		Date:    now.UTC(),
		Reason:  p.Reason,
		By:      p.By,
		Until:   nullTime(p.Until),
		Limit:   p.Limit,
		Period:  p.Period,
	}
	err := inTx(ctx, db, func(tx bun.Tx) error {
		replaced, err := liftRateLimits(ctx, tx, p.UserID, p.GuildID, p.By, now)
		if err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&limit).Exec(ctx); err != nil {
			return fmt.Errorf("insert rate limit: %w", err)
		}
		detail := describeRateLimit(limit)
		if len(replaced) > 0 {
			detail += "; replaces " + describeRateLimits(replaced)
		}
		return logModeration(ctx, tx, p.GuildID, p.By, p.UserID, ActionRateLimitSet, detail, p.Reason, now)
	})
	if err != nil {
		return RateLimit{}, fmt.Errorf("set rate limit in %q: %w", p.GuildID, err)
	}
	return limit, nil
}

func validateRateLimit(p RateLimitParams, now time.Time) error {
	if err := validateGuild(p.GuildID); err != nil {
		return err
	}
	if p.GuildID == GlobalGuildID && p.UserID == nil {
		// Admission never reads such a row: the default for everyone is
		// the configured daily request limit.
		return fmt.Errorf("%w: a global rate limit needs a member; the default for every member is configured, not set here", ErrInvalidModeration)
	}
	if err := validateRequestLimit(p.Limit); err != nil {
		return err
	}
	switch p.Period {
	case PeriodHour, PeriodDay, PeriodWeek:
	default:
		return fmt.Errorf("%w: rate limit period %q must be hour, day or week", ErrInvalidModeration, p.Period)
	}
	return validateUntil(p.Until, now)
}

// ClearRateLimit lifts the rate limits in force in one scope (the member,
// or the server default when userID is nil, in the server or globally) and
// writes one ratelimit_clear log row, in one transaction. The member then
// falls back to the next rule: the server's default, then the configured
// default. It returns the number of limits lifted, or ErrNoActiveEntry
// when none was in force.
func ClearRateLimit(ctx context.Context, db bun.IDB, userID *int64, guildID string, by *int64, reason string, now time.Time) (int, error) {
	if err := validateGuild(guildID); err != nil {
		return 0, err
	}

	var lifted int
	err := inTx(ctx, db, func(tx bun.Tx) error {
		replaced, err := liftRateLimits(ctx, tx, userID, guildID, by, now)
		if err != nil {
			return err
		}
		if len(replaced) == 0 {
			return ErrNoActiveEntry
		}
		lifted = len(replaced)
		detail := "cleared " + describeRateLimits(replaced)
		return logModeration(ctx, tx, guildID, by, userID, ActionRateLimitClear, detail, reason, now)
	})
	if err != nil {
		return 0, fmt.Errorf("clear rate limit in %q: %w", guildID, err)
	}
	return lifted, nil
}

// liftRateLimits locks the scope and lifts the limits in force in it,
// returning them as they were before the lift.
func liftRateLimits(ctx context.Context, tx bun.Tx, userID *int64, guildID string, by *int64, now time.Time) ([]RateLimit, error) {
	if err := lockScope(ctx, tx, scopeKey("ratelimit", guildID, userID)); err != nil {
		return nil, err
	}
	var current []RateLimit
	err := tx.NewSelect().Model(&current).
		Where("guild_id = ?", guildID).
		ApplyQueryBuilder(func(q bun.QueryBuilder) bun.QueryBuilder { return whereUser(q, userID) }).
		Where("lifted_at IS NULL").
		Where("(rate_limited_until IS NULL OR rate_limited_until > ?)", now.UTC()).
		OrderExpr("date DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find rate limits in force: %w", err)
	}
	if len(current) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(current))
	for i, l := range current {
		ids[i] = l.ID
	}
	_, err = tx.NewUpdate().Model((*RateLimit)(nil)).
		Set("lifted_at = ?", now.UTC()).
		Set("lifted_by = ?", by).
		Where("id IN (?)", bun.In(ids)).
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("lift rate limits: %w", err)
	}
	return current, nil
}

// ListRateLimits returns the rate limits of one scope (a server's member
// limits and default, or GlobalGuildID for the operator's), newest first,
// split into those in force at now and those lifted or ended.
func ListRateLimits(ctx context.Context, db bun.IDB, guildID string, now time.Time) (active, past []RateLimit, err error) {
	var limits []RateLimit
	err = db.NewSelect().Model(&limits).
		Where("guild_id = ?", guildID).
		OrderExpr("date DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list rate limits of %q: %w", guildID, err)
	}
	for _, l := range limits {
		if l.LiftedAt.IsZero() && (l.Until.IsZero() || l.Until.Time.After(now)) {
			active = append(active, l)
		} else {
			past = append(past, l)
		}
	}
	return active, past, nil
}

// describeRateLimit summarises a limit for a log row, for example
// "5 requests per hour, until 2026-12-05T10:00:00Z".
func describeRateLimit(l RateLimit) string {
	noun := "requests"
	if l.Limit == 1 {
		noun = "request"
	}
	return fmt.Sprintf("%d %s per %s, %s", l.Limit, noun, l.Period, untilDetail(l.Until))
}

func describeRateLimits(limits []RateLimit) string {
	parts := make([]string, len(limits))
	for i, l := range limits {
		parts[i] = describeRateLimit(l)
	}
	return strings.Join(parts, " and ")
}
