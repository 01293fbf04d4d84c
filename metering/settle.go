package metering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/tallybot/tally/models"
)

// Settle records the real cost of a request OpenAI answered, computed from
// its usage at the price frozen on the reservation, and adds it to the
// day's roll-ups in the same transaction. It returns the cost, or
// ErrNotPending when the row was already settled, released or recovered.
func (m *Meter) Settle(ctx context.Context, r *Reservation, outcome Outcome) (models.MicroUSD, error) {
	if outcome.UsageMissing && r.Price != nil && r.Price.ByTokens() {
		m.opts.Logger.Warn("OpenAI reported no token usage; charging the estimate",
			slog.Int64("ledger_id", r.Entry.ID), slog.String("endpoint", r.Entry.Endpoint),
			slog.String("model", r.Entry.Model), slog.String("cost_usd", r.Entry.Estimate.String()))
		if err := m.SettleUncertain(ctx, r, "usage_missing", outcome.Attempts); err != nil {
			return 0, err
		}
		return r.Entry.Cost, nil
	}

	cost := m.opts.UnpricedRequest
	if r.Price != nil {
		var err error
		cost, err = r.Price.Cost(outcome.Tokens, outcome.Units)
		if err != nil {
			return 0, fmt.Errorf("settle ledger row %d: %w", r.Entry.ID, err)
		}
	}

	entry := r.Entry
	entry.Status = models.StatusSettled
	entry.Cost = cost
	entry.Units = outcome.Units
	entry.SetTokens(outcome.Tokens)
	entry.OpenAIRequestID = outcome.RequestID
	entry.LatencyMS = int(outcome.Latency / time.Millisecond)
	entry.Attempts = outcome.Attempts
	entry.SettledAt = bun.NullTime{Time: m.opts.Now().UTC()}
	if err := m.finish(ctx, &entry, 1); err != nil {
		return 0, err
	}
	r.Entry = entry
	return cost, nil
}

// Release closes a reservation whose request failed or was never sent: the
// row is marked failed, at zero cost, with the failure kind.
func (m *Meter) Release(ctx context.Context, r *Reservation, failure string, attempts int) error {
	entry := r.Entry
	entry.Status = models.StatusFailed
	entry.Cost = 0
	entry.Failure = failure
	entry.Attempts = attempts
	entry.SettledAt = bun.NullTime{Time: m.opts.Now().UTC()}
	if err := m.finish(ctx, &entry, 0); err != nil {
		return err
	}
	r.Entry = entry
	return nil
}

// SettleUncertain closes a reservation whose outcome is unknown (a timeout
// or a dropped connection after the request was sent) at its estimate, so
// that a charge OpenAI may have made is never lost.
func (m *Meter) SettleUncertain(ctx context.Context, r *Reservation, failure string, attempts int) error {
	entry := r.Entry
	entry.Status = models.StatusUncertain
	entry.Cost = entry.Estimate
	entry.Failure = failure
	entry.Attempts = attempts
	entry.SettledAt = bun.NullTime{Time: m.opts.Now().UTC()}
	if err := m.finish(ctx, &entry, 1); err != nil {
		return err
	}
	r.Entry = entry
	return nil
}

// finish writes the closed row, if it is still pending, and adds requests
// and its cost to the roll-ups, atomically: in one statement on
// PostgreSQL, in one transaction on SQLite.
func (m *Meter) finish(ctx context.Context, entry *models.LedgerEntry, requests int64) error {
	var err error
	if m.db.Dialect().Name() == dialect.PG {
		var closed bool
		closed, err = models.CloseLedgerEntryPG(ctx, m.db, entry, requests)
		if err == nil && !closed {
			err = ErrNotPending
		}
	} else {
		err = m.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model(entry).
				Column("status", "cost_micro_usd", "units", "text_input_tokens", "cached_input_tokens",
					"image_input_tokens", "cached_image_input_tokens", "text_output_tokens", "image_output_tokens",
					"openai_request_id", "latency_ms", "attempts", "failure", "settled_at").
				WherePK().
				Where("status = ?", models.StatusPending).
				Exec(ctx)
			if err != nil {
				return fmt.Errorf("update ledger row: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotPending
			}
			if requests == 0 {
				return nil
			}
			return models.AddUsage(ctx, tx, entry.GuildID, entry.Endpoint, entry.UserID, entry.Day, requests, entry.Cost)
		})
	}
	if err != nil {
		return fmt.Errorf("close ledger row %d as %s: %w", entry.ID, entry.Status, err)
	}
	if observer := m.opts.Observer; observer != nil {
		if entry.Status == models.StatusSettled {
			observer.Settled(entry.Endpoint, entry.Cost, time.Duration(entry.LatencyMS)*time.Millisecond)
		} else {
			observer.Failed(entry.Endpoint, entry.Failure, entry.Cost)
		}
	}
	return nil
}

// Recover settles, at their estimate and marked uncertain, the pending rows
// admitted more than olderThan ago: their process died between admission
// and settlement. Each row is closed once, by whichever process reaches it
// first. It returns the number of rows recovered.
func (m *Meter) Recover(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := m.opts.Now().UTC().Add(-olderThan)
	var stale []models.LedgerEntry
	err := m.db.NewSelect().Model(&stale).
		Where("status = ?", models.StatusPending).
		Where("created_at < ?", cutoff).
		Order("id").
		Limit(500).
		Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("find stale pending rows: %w", err)
	}
	recovered := 0
	for i := range stale {
		r := &Reservation{Entry: stale[i]}
		err := m.SettleUncertain(ctx, r, "recovered: the process handling the request stopped", stale[i].Attempts)
		if err != nil {
			if errors.Is(err, ErrNotPending) {
				continue
			}
			return recovered, err
		}
		recovered++
		m.opts.Logger.Warn("recovered pending charge at its estimate",
			slog.Int64("ledger_id", stale[i].ID), slog.String("endpoint", stale[i].Endpoint),
			slog.String("interaction_id", stale[i].InteractionID), slog.String("cost_usd", stale[i].Estimate.String()))
	}
	return recovered, nil
}
