package metering_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
)

// TestLimitHoldsAcrossTwoPools admits 100 requests at once for one member
// limited to 10 a day, through two meters with separate connection pools
// on one PostgreSQL database, as two Tally processes would: exactly 10
// are admitted, and once settled the ledger and both roll-ups agree to
// the micro-dollar.
func TestLimitHoldsAcrossTwoPools(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t, "postgres")
	var meters []*metering.Meter
	for i := range 2 {
		db, err := models.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := migrations.Up(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		meters = append(meters, metering.New(db, metering.Options{DefaultDailyRequests: 10}))
	}

	var admitted, refused atomic.Int32
	var mu sync.Mutex
	var reservations []*metering.Reservation
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := meters[i%2].Admit(ctx, imageCharge(fmt.Sprintf("i%d", i)))
			if _, ok := metering.AsRefusal(err); ok {
				refused.Add(1)
				return
			}
			if err != nil {
				t.Errorf("Admit: %v", err)
				return
			}
			admitted.Add(1)
			mu.Lock()
			reservations = append(reservations, r)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if admitted.Load() != 10 || refused.Load() != 90 {
		t.Fatalf("admitted %d, refused %d; want 10 and 90", admitted.Load(), refused.Load())
	}

	for i, r := range reservations {
		tokens := models.Tokens{TextInput: int64(7 + i), ImageOutput: 1056}
		if _, err := meters[i%2].Settle(ctx, r, metering.Outcome{Tokens: tokens, Units: 1}); err != nil {
			t.Fatalf("Settle: %v", err)
		}
	}
	db, err := models.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ledger, server, member int64
	if err := db.NewRaw("SELECT COALESCE(SUM(cost_micro_usd), 0) FROM usage_ledger_table WHERE status = 'settled'").Scan(ctx, &ledger); err != nil {
		t.Fatal(err)
	}
	if err := db.NewRaw("SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_usage_table").Scan(ctx, &server); err != nil {
		t.Fatal(err)
	}
	if err := db.NewRaw("SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_user_usage_table").Scan(ctx, &member); err != nil {
		t.Fatal(err)
	}
	if ledger == 0 || ledger != server || ledger != member {
		t.Errorf("settled ledger %d µ$, server roll-up %d µ$, member roll-up %d µ$: want equal and non-zero", ledger, server, member)
	}
}
