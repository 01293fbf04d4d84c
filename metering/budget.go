package metering

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/tallybot/tally/models"
)

// budgetCap is one dollar cap a request must fit in.
type budgetCap struct {
	// key names the budget in alerts and locks, for example "server:555".
	key     string
	scope   models.BudgetScope
	guildID string
	userID  int64
	period  models.Period
	amount  models.MicroUSD
}

// Allowance is the remainder left to a caller after an admitted request:
// the requests left under the tightest rate limit and the dollars left
// under the tightest budget, with this request's estimate counted as spent.
type Allowance struct {
	HasRequestLimit bool
	RequestsLeft    int
	RequestPeriod   models.Period
	HasBudget       bool
	BudgetLeft      models.MicroUSD
	BudgetPeriod    models.Period
}

// BudgetAlert is a budget that reached one of the alert thresholds.
type BudgetAlert struct {
	Scope   models.BudgetScope
	GuildID string
	// DiscordUserID is set for a member's budget.
	DiscordUserID string
	Period        models.Period
	Budget        models.MicroUSD
	// Spent counts settled costs and the estimates of pending requests,
	// this one included.
	Spent     models.MicroUSD
	Threshold int
}

// applicableBudgets returns the caps on a request by the user in the
// server. For each scope and period the newest row wins; the configured
// member daily and global monthly caps apply where no row is set.
func (m *Meter) applicableBudgets(ctx context.Context, tx bun.Tx, userID int64, guildID string, now time.Time) ([]budgetCap, error) {
	rows, err := models.FindBudgets(ctx, tx, userID, guildID, now)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var caps []budgetCap
	add := func(c budgetCap) {
		id := string(c.scope) + "/" + string(c.period)
		if seen[id] {
			return
		}
		seen[id] = true
		switch c.scope {
		case models.ScopeMember:
			c.key = fmt.Sprintf("member:%s:%d:%s", c.guildID, c.userID, c.period)
		case models.ScopeServer:
			c.key = fmt.Sprintf("server:%s:%s", c.guildID, c.period)
		default:
			c.key = "global:" + string(c.period)
		}
		caps = append(caps, c)
	}
	for _, row := range rows {
		add(budgetCap{scope: row.Scope, guildID: row.GuildID, userID: userID, period: row.Period, amount: row.Amount})
	}
	if m.opts.DefaultDailyBudget > 0 {
		add(budgetCap{scope: models.ScopeMember, guildID: guildID, userID: userID, period: models.PeriodDay, amount: m.opts.DefaultDailyBudget})
	}
	if m.opts.GlobalMonthlyBudget > 0 {
		add(budgetCap{scope: models.ScopeGlobal, period: models.PeriodMonth, amount: m.opts.GlobalMonthlyBudget})
	}
	return caps, nil
}

// lockShared serialises admissions that share a server or global cap. A
// member's own caps are already serialised by the lock on their user row;
// SQLite transactions hold the database's write lock from their start.
// Keys are taken in a fixed order, servers before global, so two
// transactions cannot wait on each other.
func lockShared(ctx context.Context, tx bun.Tx, caps []budgetCap) error {
	if tx.Dialect().Name() != dialect.PG {
		return nil
	}
	for _, scope := range []models.BudgetScope{models.ScopeServer, models.ScopeGlobal} {
		for _, c := range caps {
			if c.scope != scope {
				continue
			}
			h := fnv.New64a()
			h.Write([]byte("tally budget " + c.key))
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(h.Sum64()>>1)); err != nil {
				return fmt.Errorf("lock budget %s: %w", c.key, err)
			}
		}
	}
	return nil
}

// spent returns what the cap's scope has spent in its current window:
// settled and uncertain costs from the daily roll-ups plus the estimates
// of pending requests, read in one statement so that a settlement
// committing meanwhile is counted exactly once.
func (m *Meter) spent(ctx context.Context, tx bun.Tx, c budgetCap, now time.Time) (models.MicroUSD, error) {
	start := WindowStart(now, c.period, m.opts.Zone)
	startDay := Day(start, m.opts.Zone)
	var settledSQL, pendingSQL string
	var args []any
	switch c.scope {
	case models.ScopeMember:
		settledSQL = "SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_user_usage_table WHERE user_id = ? AND guild_id = ? AND date >= ?"
		pendingSQL = "SELECT COALESCE(SUM(estimate_micro_usd), 0) FROM usage_ledger_table WHERE status = 'pending' AND user_id = ? AND guild_id = ? AND created_at >= ?"
		args = []any{c.userID, c.guildID, startDay, c.userID, c.guildID, start.UTC()}
	case models.ScopeServer:
		settledSQL = "SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_usage_table WHERE guild_id = ? AND date >= ?"
		pendingSQL = "SELECT COALESCE(SUM(estimate_micro_usd), 0) FROM usage_ledger_table WHERE status = 'pending' AND guild_id = ? AND created_at >= ?"
		args = []any{c.guildID, startDay, c.guildID, start.UTC()}
	default:
		settledSQL = "SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_usage_table WHERE date >= ?"
		pendingSQL = "SELECT COALESCE(SUM(estimate_micro_usd), 0) FROM usage_ledger_table WHERE status = 'pending' AND created_at >= ?"
		args = []any{startDay, start.UTC()}
	}
	var total int64
	if err := tx.NewRaw("SELECT ("+settledSQL+") + ("+pendingSQL+")", args...).Scan(ctx, &total); err != nil {
		return 0, fmt.Errorf("sum spending for %s: %w", c.key, err)
	}
	return models.MicroUSD(total), nil
}

// checkBudgets refuses the request when it would take any cap past its
// amount, and returns the alerts whose thresholds the request reaches.
func (m *Meter) checkBudgets(ctx context.Context, tx bun.Tx, charge Charge, userID int64, estimate models.MicroUSD, now time.Time, allowance *Allowance) (*Refusal, []BudgetAlert, error) {
	caps, err := m.applicableBudgets(ctx, tx, userID, charge.Caller.GuildID, now)
	if err != nil || len(caps) == 0 {
		return nil, nil, err
	}
	if err := lockShared(ctx, tx, caps); err != nil {
		return nil, nil, err
	}

	var refusal *Refusal
	var alerts []BudgetAlert
	for _, c := range caps {
		spent, err := m.spent(ctx, tx, c, now)
		if err != nil {
			return nil, nil, err
		}
		projected := spent + estimate
		for _, threshold := range m.opts.AlertThresholds {
			// Compare projected/amount with threshold/100 in integers.
			if int64(projected)*100 < int64(c.amount)*int64(threshold) {
				continue
			}
			start := WindowStart(now, c.period, m.opts.Zone)
			first, err := models.RecordBudgetAlert(ctx, tx, &models.BudgetAlert{
				BudgetKey: c.key, PeriodStart: Day(start, m.opts.Zone) + start.Format("T15"), Threshold: threshold, Date: now,
			})
			if err != nil {
				return nil, nil, err
			}
			if first {
				alert := BudgetAlert{Scope: c.scope, GuildID: c.guildID, Period: c.period, Budget: c.amount, Spent: projected, Threshold: threshold}
				if c.scope == models.ScopeMember {
					alert.DiscordUserID = charge.Caller.DiscordUserID
				}
				alerts = append(alerts, alert)
			}
		}
		if left := c.amount - projected; !allowance.HasBudget || left < allowance.BudgetLeft {
			allowance.HasBudget = true
			allowance.BudgetLeft = left
			allowance.BudgetPeriod = c.period
		}
		if projected > c.amount && refusal == nil {
			refusal = &Refusal{
				Reason:  ReasonOverBudget,
				Budget:  c.amount,
				Period:  c.period,
				RetryAt: nextWindow(WindowStart(now, c.period, m.opts.Zone), c.period),
			}
		}
	}
	return refusal, alerts, nil
}
