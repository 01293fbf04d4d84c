package metering

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// check returns the refusal for a charge, or nil when it may go ahead, and
// then records in allowance how many requests remain.
func (m *Meter) check(ctx context.Context, tx bun.Tx, charge Charge, userID int64, now time.Time, allowance *Allowance) (*Refusal, error) {
	guildID := charge.Caller.GuildID
	entry, err := models.FindActiveBlacklist(ctx, tx, userID, guildID, now)
	switch {
	case err == nil:
		refusal := &Refusal{Reason: ReasonBlacklisted, Note: entry.Reason}
		if !entry.Until.IsZero() {
			refusal.RetryAt = entry.Until.Time
		}
		return refusal, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	if charge.Step != 0 {
		// Later steps belong to a request that was already counted.
		return nil, nil
	}
	limits, err := m.applicableLimits(ctx, tx, userID, guildID, now)
	if err != nil {
		return nil, err
	}
	for _, limit := range limits {
		start := WindowStart(now, limit.Period, m.opts.Zone)
		q := tx.NewSelect().Model((*models.LedgerEntry)(nil)).
			Where("user_id = ?", userID).
			Where("step = 0").
			Where("status IN (?)", bun.In([]models.LedgerStatus{models.StatusPending, models.StatusSettled, models.StatusUncertain})).
			Where("created_at >= ?", start.UTC())
		if limit.GuildID != models.GlobalGuildID {
			q = q.Where("guild_id = ?", limit.GuildID)
		}
		used, err := q.Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count requests in window: %w", err)
		}
		if used >= int64(limit.Limit) {
			retryAt := nextWindow(start, limit.Period)
			if !limit.Until.IsZero() && limit.Until.Before(retryAt) {
				retryAt = limit.Until.Time
			}
			return &Refusal{
				Reason:  ReasonRateLimited,
				Note:    limit.Reason,
				Limit:   limit.Limit,
				Period:  limit.Period,
				RetryAt: retryAt,
			}, nil
		}
		left := limit.Limit - int(used) - 1
		if !allowance.HasRequestLimit || left < allowance.RequestsLeft {
			allowance.HasRequestLimit = true
			allowance.RequestsLeft = left
			allowance.RequestPeriod = limit.Period
		}
	}
	return nil, nil
}

// applicableLimits returns the rate limits a request from the user in the
// server must satisfy. In the server, the member's own entry wins over the
// server's default, which wins over the configured default; an operator's
// global entry for the member applies on top, everywhere.
func (m *Meter) applicableLimits(ctx context.Context, tx bun.Tx, userID int64, guildID string, now time.Time) ([]models.RateLimit, error) {
	var rows []models.RateLimit
	err := tx.NewSelect().Model(&rows).
		Where("guild_id IN (?, ?)", guildID, models.GlobalGuildID).
		Where("(user_id = ? OR user_id IS NULL)", userID).
		Where("lifted_at IS NULL").
		Where("date <= ?", now).
		Where("(rate_limited_until IS NULL OR rate_limited_until > ?)", now).
		Order("date DESC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find rate limits: %w", err)
	}

	var member, serverDefault, global *models.RateLimit
	for i := range rows {
		row := &rows[i]
		switch {
		case row.GuildID == guildID && row.UserID != nil && member == nil:
			member = row
		case row.GuildID == guildID && row.UserID == nil && serverDefault == nil:
			serverDefault = row
		case row.GuildID == models.GlobalGuildID && row.UserID != nil && global == nil:
			global = row
		}
	}

	var limits []models.RateLimit
	switch {
	case member != nil:
		limits = append(limits, *member)
	case serverDefault != nil:
		limits = append(limits, *serverDefault)
	case m.opts.DefaultDailyRequests > 0:
		limits = append(limits, models.RateLimit{GuildID: guildID, Limit: m.opts.DefaultDailyRequests, Period: models.PeriodDay})
	}
	if global != nil {
		limits = append(limits, *global)
	}
	return limits, nil
}

// nextWindow returns the start of the window after the one starting at
// start. AddDate on a time in the zone keeps midnight across DST changes.
func nextWindow(start time.Time, period models.Period) time.Time {
	switch period {
	case models.PeriodHour:
		return start.Add(time.Hour)
	case models.PeriodWeek:
		return start.AddDate(0, 0, 7)
	case models.PeriodMonth:
		return start.AddDate(0, 1, 0)
	default:
		return start.AddDate(0, 0, 1)
	}
}
