// Package metering is Tally's accounting core. Every OpenAI request is
// admitted as a pending ledger row after the blacklist, rate-limit and
// budget checks, then settled at its real cost or released at zero.
// Pending rows left by a process that died are recovered at their estimate.
package metering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// Options configure a Meter.
type Options struct {
	// Zone is the time zone in which days, weeks and months begin.
	Zone *time.Location
	// Now returns the current time; tests inject a clock.
	Now    func() time.Time
	Logger *slog.Logger
	// DefaultDailyRequests limits every member to that many requests a day
	// in each server where no other limit is set; 0 means no default.
	DefaultDailyRequests int
	// UnpricedRequest is charged for a request whose model has no row in
	// cost_table.
	UnpricedRequest models.MicroUSD
	// PromptRetention is how long prompts are kept on ledger rows; 0 means
	// they are never stored.
	PromptRetention time.Duration
	// DefaultDailyBudget caps each member's spending per server per day
	// where no member budget is set; 0 means none.
	DefaultDailyBudget models.MicroUSD
	// GlobalMonthlyBudget caps all spending per month where no global
	// budget row is set; 0 means none.
	GlobalMonthlyBudget models.MicroUSD
	// AlertThresholds are the percentages of a budget at which an alert
	// fires, once per budget and period. Nil means 80 and 100.
	AlertThresholds []int
	// OnBudgetAlert, when set, is called after the alert is logged, for
	// example to post it in a Discord channel.
	OnBudgetAlert func(context.Context, BudgetAlert)
	// Observer, when set, receives every settlement, failure and refusal,
	// for metrics.
	Observer Observer
}

// Observer receives the meter's outcomes once they are committed.
type Observer interface {
	Settled(endpoint string, cost models.MicroUSD, latency time.Duration)
	// Failed reports a released request (cost zero) or one settled at its
	// estimate because its outcome is unknown.
	Failed(endpoint, failure string, cost models.MicroUSD)
	Refused(reason string)
}

// Meter admits, settles and releases metered OpenAI requests. It keeps all
// state in the database, so several processes may share one.
type Meter struct {
	db   *bun.DB
	opts Options

	mu       sync.Mutex
	unpriced map[string]bool // endpoint and model already logged as unpriced
}

// New returns a Meter on db.
func New(db *bun.DB, opts Options) *Meter {
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.AlertThresholds == nil {
		opts.AlertThresholds = []int{80, 100}
	}
	return &Meter{db: db, opts: opts, unpriced: map[string]bool{}}
}

// Caller identifies who makes a request and where.
type Caller struct {
	DiscordUserID string
	Username      string
	// GuildID is the server, or models.DMGuildID in a direct message.
	GuildID   string
	ChannelID string
}

// Charge describes one OpenAI request to admit.
type Charge struct {
	InteractionID string
	// Step numbers the OpenAI requests of one interaction from 0. Only step
	// 0 counts against rate limits: one interaction is one request.
	Step     int
	Caller   Caller
	Endpoint string
	Model    string
	Size     string
	Quality  string
	// Units is the number of images expected, and Expected the tokens, from
	// which the estimate is priced.
	Units    int
	Expected models.Tokens
	Prompt   string
}

// Reservation is an admitted request: its pending ledger row and the price
// frozen on it.
type Reservation struct {
	Entry models.LedgerEntry
	// Price is nil when no price covers the request.
	Price *models.Price
	// Replayed is true when the ledger already held this interaction and
	// step: the request must not be sent again.
	Replayed bool
	// Allowance is the caller's remaining requests and budget, with this
	// request counted.
	Allowance Allowance
}

// Outcome is OpenAI's report of a request that succeeded.
type Outcome struct {
	Tokens    models.Tokens
	Units     int
	RequestID string
	Latency   time.Duration
	Attempts  int
	// UsageMissing is true when the response reported no token usage. A
	// request priced by tokens is then charged its estimate and marked
	// uncertain, rather than recorded as free.
	UsageMissing bool
}

// ErrNotPending is returned when a reservation is settled or released
// after it has already been settled, released or recovered.
var ErrNotPending = errors.New("ledger row is not pending")

// Admit checks the caller against blacklists, rate limits and budgets and,
// when they allow it, writes a pending ledger row carrying the estimate, in
// one transaction. It returns a *Refusal error when the request may not go
// ahead; a refused request is recorded in the ledger at zero cost. On
// PostgreSQL the caller's user row stays locked for the whole transaction,
// so concurrent admissions of one member, from any process, are checked one
// after another; SQLite transactions take the write lock at their start.
func (m *Meter) Admit(ctx context.Context, charge Charge) (*Reservation, error) {
	now := m.opts.Now().UTC()
	if charge.Caller.GuildID == "" {
		charge.Caller.GuildID = models.DMGuildID
	}

	var result admission
	err := m.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		result, err = m.admit(ctx, tx, charge, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("admit %s for user %s: %w", charge.Endpoint, charge.Caller.DiscordUserID, err)
	}
	for _, alert := range result.alerts {
		m.sendAlert(ctx, alert)
	}
	if result.refusal != nil {
		if m.opts.Observer != nil {
			m.opts.Observer.Refused(string(result.refusal.Reason))
		}
		return nil, result.refusal
	}
	return result.reservation, nil
}

// admission is the decision of one admission transaction.
type admission struct {
	reservation *Reservation
	refusal     *Refusal
	alerts      []BudgetAlert
}

func (m *Meter) admit(ctx context.Context, tx bun.Tx, charge Charge, now time.Time) (admission, error) {
	user, err := models.UpsertUser(ctx, tx, charge.Caller.DiscordUserID, charge.Caller.Username, now)
	if err != nil {
		return admission{}, err
	}

	existing, err := findEntry(ctx, tx, charge.InteractionID, charge.Step)
	if err != nil {
		return admission{}, err
	}
	if existing != nil {
		return replay(existing), nil
	}

	entry := models.LedgerEntry{
		InteractionID: charge.InteractionID,
		Step:          charge.Step,
		UserID:        user.ID,
		GuildID:       charge.Caller.GuildID,
		ChannelID:     charge.Caller.ChannelID,
		Endpoint:      charge.Endpoint,
		Model:         charge.Model,
		Size:          charge.Size,
		Quality:       charge.Quality,
		Status:        models.StatusPending,
		Day:           Day(now, m.opts.Zone),
		CreatedAt:     now,
		Units:         charge.Units,
	}
	var allowance Allowance
	refusal, err := m.check(ctx, tx, charge, user.ID, now, &allowance)
	if err != nil || refusal != nil {
		return m.refuse(ctx, tx, &entry, refusal, nil, err)
	}

	price, estimate, err := m.estimate(ctx, tx, charge, now)
	if err != nil {
		return admission{}, err
	}
	entry.Estimate = estimate
	if price != nil {
		entry.PriceID = &price.ID
	}
	refusal, alerts, err := m.checkBudgets(ctx, tx, charge, user.ID, estimate, now, &allowance)
	if err != nil || refusal != nil {
		return m.refuse(ctx, tx, &entry, refusal, alerts, err)
	}

	if m.opts.PromptRetention > 0 && charge.Prompt != "" {
		entry.Prompt = &charge.Prompt
	}
	res, err := tx.NewInsert().Model(&entry).On("CONFLICT (interaction_id, step) DO NOTHING").Exec(ctx)
	if err != nil {
		return admission{}, fmt.Errorf("insert pending ledger row: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Another process admitted the same interaction and step between
		// the lookup and the insert.
		existing, err := findEntry(ctx, tx, charge.InteractionID, charge.Step)
		if err != nil || existing == nil {
			return admission{}, fmt.Errorf("read replayed ledger row: %w", err)
		}
		return replay(existing), nil
	}
	return admission{reservation: &Reservation{Entry: entry, Price: price, Allowance: allowance}, alerts: alerts}, nil
}

// refuse records a refused request in the ledger at zero cost.
func (m *Meter) refuse(ctx context.Context, tx bun.Tx, entry *models.LedgerEntry, refusal *Refusal, alerts []BudgetAlert, err error) (admission, error) {
	if err != nil {
		return admission{}, err
	}
	entry.Status = models.StatusRefused
	entry.Failure = string(refusal.Reason)
	entry.SettledAt = bun.NullTime{Time: entry.CreatedAt}
	if _, err := tx.NewInsert().Model(entry).On("CONFLICT (interaction_id, step) DO NOTHING").Exec(ctx); err != nil {
		return admission{}, fmt.Errorf("record refused request: %w", err)
	}
	return admission{refusal: refusal, alerts: alerts}, nil
}

// replay turns an existing ledger row into the result for a duplicate of
// its interaction: refused again, or a reservation that must not be sent.
func replay(existing *models.LedgerEntry) admission {
	if existing.Status == models.StatusRefused {
		return admission{refusal: &Refusal{Reason: Reason(existing.Failure)}}
	}
	return admission{reservation: &Reservation{Entry: *existing, Replayed: true}}
}

func (m *Meter) sendAlert(ctx context.Context, alert BudgetAlert) {
	m.opts.Logger.Warn("budget alert",
		slog.String("scope", string(alert.Scope)), slog.String("guild_id", alert.GuildID),
		slog.String("user_id", alert.DiscordUserID), slog.String("period", string(alert.Period)),
		slog.Int("threshold_percent", alert.Threshold), slog.String("budget_usd", alert.Budget.String()),
		slog.String("spent_usd", alert.Spent.String()))
	if m.opts.OnBudgetAlert != nil {
		m.opts.OnBudgetAlert(ctx, alert)
	}
}

// estimate finds the price in force and prices the expected usage with it,
// or with the fallback when no price covers the model.
func (m *Meter) estimate(ctx context.Context, tx bun.Tx, charge Charge, now time.Time) (*models.Price, models.MicroUSD, error) {
	price, err := models.FindPrice(ctx, tx, charge.Endpoint, charge.Model, charge.Size, charge.Quality, now)
	if errors.Is(err, models.ErrNoPrice) {
		m.logUnpriced(charge.Endpoint, charge.Model)
		return nil, m.opts.UnpricedRequest, nil
	}
	if err != nil {
		return nil, 0, err
	}
	estimate, err := price.Cost(charge.Expected, charge.Units)
	if err != nil {
		return nil, 0, fmt.Errorf("price estimate: %w", err)
	}
	return &price, estimate, nil
}

func (m *Meter) logUnpriced(endpoint, model string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := endpoint + "\x00" + model
	if m.unpriced[key] {
		return
	}
	m.unpriced[key] = true
	m.opts.Logger.Warn("model has no price; charging the fallback",
		slog.String("endpoint", endpoint), slog.String("model", model),
		slog.String("fallback_usd", m.opts.UnpricedRequest.String()))
}

func findEntry(ctx context.Context, tx bun.IDB, interactionID string, step int) (*models.LedgerEntry, error) {
	var entries []models.LedgerEntry
	err := tx.NewSelect().Model(&entries).
		Where("interaction_id = ?", interactionID).
		Where("step = ?", step).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find ledger row: %w", err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	return &entries[0], nil
}
