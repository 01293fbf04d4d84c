package metering_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// insertFlatPrice prices every request to the endpoint with the model at
// perRequest.
func insertFlatPrice(t *testing.T, db *bun.DB, model string, perRequest models.MicroUSD) {
	t.Helper()
	price := &models.Price{EndpointID: 1, Model: model, Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), PerRequest: perRequest}
	if _, err := db.NewInsert().Model(price).Exec(context.Background()); err != nil {
		t.Fatalf("insert price: %v", err)
	}
}

func flatCharge(interactionID string) metering.Charge {
	c := imageCharge(interactionID)
	c.Model, c.Size, c.Quality = "flat-model", "", ""
	c.Expected = models.Tokens{}
	return c
}

// TestBudgetIsExactAtThousandCalls makes 1,000 calls at $0.04 against a
// $40.00 daily budget: the total is exactly $40.00, and call 1,001 is
// refused. In float64 the same sum falls short of 40 and lets it through.
func TestBudgetIsExactAtThousandCalls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		insertFlatPrice(t, db, "flat-model", 40_000)
		meter := metering.New(db, metering.Options{DefaultDailyBudget: 40_000_000})

		for i := range 1000 {
			r, err := meter.Admit(ctx, flatCharge(fmt.Sprintf("i%d", i)))
			if err != nil {
				t.Fatalf("call %d: Admit: %v", i+1, err)
			}
			if _, err := meter.Settle(ctx, r, metering.Outcome{Units: 1}); err != nil {
				t.Fatalf("call %d: Settle: %v", i+1, err)
			}
		}
		_, err := meter.Admit(ctx, flatCharge("i1000"))
		refusal, ok := metering.AsRefusal(err)
		if !ok || refusal.Reason != metering.ReasonOverBudget || refusal.Budget != 40_000_000 {
			t.Fatalf("call 1,001: error = %v, want an over-budget refusal at $40.00", err)
		}

		var total int64
		if err := db.NewRaw("SELECT SUM(cost_micro_usd) FROM endpoint_user_usage_table").Scan(ctx, &total); err != nil {
			t.Fatal(err)
		}
		if total != 40_000_000 {
			t.Errorf("total = %d µ$, want exactly 40,000,000", total)
		}
		var refused int
		if err := db.NewRaw("SELECT COUNT(*) FROM usage_ledger_table WHERE status = 'refused' AND failure = 'over_budget' AND cost_micro_usd = 0").Scan(ctx, &refused); err != nil {
			t.Fatal(err)
		}
		if refused != 1 {
			t.Errorf("refused rows = %d, want 1", refused)
		}
	})
}

// TestServerBudgetHoldsAcrossMembers admits many members of one server at
// once against a server cap that fits five calls.
func TestServerBudgetHoldsAcrossMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		insertFlatPrice(t, db, "flat-model", 40_000)
		budget := &models.Budget{Scope: models.ScopeServer, GuildID: "555", Period: models.PeriodMonth, Amount: 200_000, Date: time.Now().Add(-time.Hour)}
		if _, err := db.NewInsert().Model(budget).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		meter := metering.New(db, metering.Options{})

		var mu sync.Mutex
		admitted := 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := flatCharge(fmt.Sprintf("i%d", i))
				c.Caller.DiscordUserID = fmt.Sprintf("%d", 1000+i)
				_, err := meter.Admit(ctx, c)
				if _, refused := metering.AsRefusal(err); refused {
					return
				}
				if err != nil {
					t.Errorf("Admit: %v", err)
					return
				}
				mu.Lock()
				admitted++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if admitted != 5 {
			t.Errorf("admitted %d calls against a cap of five, want 5", admitted)
		}
	})
}

func TestBudgetAlertsFireOncePerPeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		insertFlatPrice(t, db, "flat-model", 40_000)
		var mu sync.Mutex
		var fired []int
		meter := metering.New(db, metering.Options{
			DefaultDailyBudget: 200_000,
			OnBudgetAlert: func(_ context.Context, a metering.BudgetAlert) {
				mu.Lock()
				defer mu.Unlock()
				fired = append(fired, a.Threshold)
			},
		})
		for i := range 7 {
			r, err := meter.Admit(ctx, flatCharge(fmt.Sprintf("i%d", i)))
			if err != nil {
				continue
			}
			if _, err := meter.Settle(ctx, r, metering.Outcome{}); err != nil {
				t.Fatal(err)
			}
		}
		// Call 4 reaches $0.16 of $0.20 (80%), call 5 reaches 100%; calls 6
		// and 7 are refused without alerting again.
		if fmt.Sprint(fired) != "[80 100]" {
			t.Errorf("alerts fired = %v, want [80 100]", fired)
		}
	})
}
