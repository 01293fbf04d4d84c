package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// BudgetScope says whose spending a budget caps.
type BudgetScope string

// Budget scopes: one member in one server, one server, or everything the
// operator pays for.
const (
	ScopeMember BudgetScope = "member"
	ScopeServer BudgetScope = "server"
	ScopeGlobal BudgetScope = "global"
)

// Budget is a row of budget_table: a dollar cap on spending per day or
// month, in force from Date until it is cleared.
type Budget struct {
	bun.BaseModel `bun:"table:budget_table"`

	ID        int64        `bun:"id,pk,autoincrement"`
	Scope     BudgetScope  `bun:"scope,notnull"`
	GuildID   string       `bun:"guild_id,notnull"`
	UserID    *int64       `bun:"user_id"`
	Period    Period       `bun:"period,notnull"`
	Amount    MicroUSD     `bun:"amount_micro_usd,notnull"`
	SetBy     *int64       `bun:"set_by"`
	Date      time.Time    `bun:"date,notnull"`
	ClearedAt bun.NullTime `bun:"cleared_at"`
}

// FindBudgets returns the budgets in force that can cap a request by the
// user in the server: the member's own, the server's, and global ones,
// newest first.
func FindBudgets(ctx context.Context, db bun.IDB, userID int64, guildID string, at time.Time) ([]Budget, error) {
	var budgets []Budget
	err := db.NewSelect().Model(&budgets).
		Where("cleared_at IS NULL").
		Where("date <= ?", at.UTC()).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.
				WhereOr("scope = ? AND guild_id = ? AND user_id = ?", ScopeMember, guildID, userID).
				WhereOr("scope = ? AND guild_id = ?", ScopeServer, guildID).
				WhereOr("scope = ?", ScopeGlobal)
		}).
		Order("date DESC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find budgets: %w", err)
	}
	return budgets, nil
}

// BudgetAlert is a row of budget_alert_table: a threshold crossed once in
// one period of one budget.
type BudgetAlert struct {
	bun.BaseModel `bun:"table:budget_alert_table"`

	ID          int64     `bun:"id,pk,autoincrement"`
	BudgetKey   string    `bun:"budget_key,notnull"`
	PeriodStart string    `bun:"period_start,notnull"`
	Threshold   int       `bun:"threshold,notnull"`
	Date        time.Time `bun:"date,notnull"`
}

// RecordBudgetAlert stores that the alert fired and reports whether this
// call was the first to do so in the period.
func RecordBudgetAlert(ctx context.Context, db bun.IDB, alert *BudgetAlert) (bool, error) {
	alert.Date = alert.Date.UTC()
	res, err := db.NewInsert().Model(alert).On("CONFLICT (budget_key, period_start, threshold) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record budget alert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record budget alert: %w", err)
	}
	return n == 1, nil
}
