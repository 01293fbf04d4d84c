package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// BudgetTarget names whose spending a budget caps: one member in one
// server (ScopeMember, with UserID and GuildID), one server (ScopeServer,
// with GuildID), or everything the operator pays for (ScopeGlobal, with
// GlobalGuildID and no member).
type BudgetTarget struct {
	Scope   BudgetScope
	GuildID string
	UserID  *int64
}

// BudgetParams describes a budget to set.
type BudgetParams struct {
	Target BudgetTarget
	// Period is PeriodDay or PeriodMonth.
	Period Period
	// Amount is the cap per period; it must be positive.
	Amount MicroUSD
	// Reason is kept in the log row; budget_table has no reason column.
	Reason string
	// By is the moderator's usernames_table row ID, or nil for the
	// operator's command line.
	By *int64
}

// SetBudget puts a budget in force from now and clears the budget already
// in force for the same target and period, so exactly one is in force per
// target and period. A member may still have a daily and a monthly budget
// at once. The change and its budget_set log row are written in one
// transaction on db (a savepoint when db is a bun.Tx). Invalid parameters
// return an error wrapping ErrInvalidModeration.
func SetBudget(ctx context.Context, db bun.IDB, p BudgetParams, now time.Time) (Budget, error) {
	if err := validateBudgetTarget(p.Target); err != nil {
		return Budget{}, err
	}
	if err := validateBudgetPeriod(p.Period); err != nil {
		return Budget{}, err
	}
	if p.Amount <= 0 {
		return Budget{}, fmt.Errorf("%w: budget amount %s must be more than zero", ErrInvalidModeration, p.Amount)
	}

	budget := Budget{
		Scope:   p.Target.Scope,
		GuildID: p.Target.GuildID,
		UserID:  p.Target.UserID,
		Period:  p.Period,
		Amount:  p.Amount,
		SetBy:   p.By,
		Date:    now.UTC(),
	}
	err := inTx(ctx, db, func(tx bun.Tx) error {
		replaced, err := clearBudgets(ctx, tx, p.Target, p.Period, now)
		if err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&budget).Exec(ctx); err != nil {
			return fmt.Errorf("insert budget: %w", err)
		}
		detail := describeBudget(budget)
		if len(replaced) > 0 {
			detail += "; replaces " + describeBudgets(replaced)
		}
		return logModeration(ctx, tx, p.Target.GuildID, p.By, p.Target.UserID, ActionBudgetSet, detail, p.Reason, now)
	})
	if err != nil {
		return Budget{}, fmt.Errorf("set %s budget in %q: %w", p.Target.Scope, p.Target.GuildID, err)
	}
	return budget, nil
}

// ClearBudget clears the target's budgets in force for the period, or for
// every period when period is empty, and writes one budget_clear log row,
// in one transaction. It returns the number of budgets cleared, or
// ErrNoActiveEntry when none was in force.
func ClearBudget(ctx context.Context, db bun.IDB, target BudgetTarget, period Period, by *int64, reason string, now time.Time) (int, error) {
	if err := validateBudgetTarget(target); err != nil {
		return 0, err
	}
	if period != "" {
		if err := validateBudgetPeriod(period); err != nil {
			return 0, err
		}
	}

	var cleared int
	err := inTx(ctx, db, func(tx bun.Tx) error {
		replaced, err := clearBudgets(ctx, tx, target, period, now)
		if err != nil {
			return err
		}
		if len(replaced) == 0 {
			return ErrNoActiveEntry
		}
		cleared = len(replaced)
		detail := "cleared " + describeBudgets(replaced)
		return logModeration(ctx, tx, target.GuildID, by, target.UserID, ActionBudgetClear, detail, reason, now)
	})
	if err != nil {
		return 0, fmt.Errorf("clear %s budget in %q: %w", target.Scope, target.GuildID, err)
	}
	return cleared, nil
}

func validateBudgetTarget(t BudgetTarget) error {
	if err := validateGuild(t.GuildID); err != nil {
		return err
	}
	switch t.Scope {
	case ScopeMember:
		// Admission matches a member's budget on the request's server, so
		// a member budget without one would never apply.
		if t.UserID == nil || t.GuildID == GlobalGuildID {
			return fmt.Errorf("%w: a member budget needs both a member and a server", ErrInvalidModeration)
		}
	case ScopeServer:
		if t.UserID != nil || t.GuildID == GlobalGuildID {
			return fmt.Errorf("%w: a server budget needs a server and no member", ErrInvalidModeration)
		}
	case ScopeGlobal:
		// Admission applies a global row to every request, so a member or
		// server on it would be ignored.
		if t.UserID != nil || t.GuildID != GlobalGuildID {
			return fmt.Errorf("%w: a global budget takes no member and no server", ErrInvalidModeration)
		}
	default:
		return fmt.Errorf("%w: budget scope %q must be member, server or global", ErrInvalidModeration, t.Scope)
	}
	return nil
}

func validateBudgetPeriod(period Period) error {
	if period != PeriodDay && period != PeriodMonth {
		return fmt.Errorf("%w: budget period %q must be day or month", ErrInvalidModeration, period)
	}
	return nil
}

// clearBudgets locks the target and clears its budgets in force for the
// period (every period when it is empty), returning them as they were.
func clearBudgets(ctx context.Context, tx bun.Tx, target BudgetTarget, period Period, now time.Time) ([]Budget, error) {
	if err := lockScope(ctx, tx, scopeKey("budget:"+string(target.Scope), target.GuildID, target.UserID)); err != nil {
		return nil, err
	}
	var current []Budget
	q := tx.NewSelect().Model(&current).
		Where("scope = ?", target.Scope).
		Where("guild_id = ?", target.GuildID).
		ApplyQueryBuilder(func(q bun.QueryBuilder) bun.QueryBuilder { return whereUser(q, target.UserID) }).
		Where("cleared_at IS NULL").
		OrderExpr("date DESC, id DESC")
	if period != "" {
		q = q.Where("period = ?", period)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("find budgets in force: %w", err)
	}
	if len(current) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(current))
	for i, b := range current {
		ids[i] = b.ID
	}
	_, err := tx.NewUpdate().Model((*Budget)(nil)).
		Set("cleared_at = ?", now.UTC()).
		Where("id IN (?)", bun.In(ids)).
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("clear budgets: %w", err)
	}
	return current, nil
}

// ListBudgets returns the budgets of one server (its members' and its
// own), or the global ones for GlobalGuildID, newest first, split into
// those in force and those cleared.
func ListBudgets(ctx context.Context, db bun.IDB, guildID string) (active, past []Budget, err error) {
	var budgets []Budget
	err = db.NewSelect().Model(&budgets).
		Where("guild_id = ?", guildID).
		OrderExpr("date DESC, id DESC").
		Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list budgets of %q: %w", guildID, err)
	}
	for _, b := range budgets {
		if b.ClearedAt.IsZero() {
			active = append(active, b)
		} else {
			past = append(past, b)
		}
	}
	return active, past, nil
}

// describeBudget summarises a budget for a log row, for example
// "$2.50 per day".
func describeBudget(b Budget) string {
	return fmt.Sprintf("%s per %s", b.Amount, b.Period)
}

func describeBudgets(budgets []Budget) string {
	parts := make([]string, len(budgets))
	for i, b := range budgets {
		parts[i] = describeBudget(b)
	}
	return strings.Join(parts, " and ")
}
