package metering_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// BenchmarkAdmitSettle measures one metered call by one caller: Admit,
// then Settle, two transactions. A default daily request limit and member
// budget are set, high enough never to refuse, so that every admission
// counts the member's requests and sums their spending as it would in
// production. Calls rotate over 1,000 members, so no member's ledger grows
// beyond what one member would make in a day. The PostgreSQL case runs
// when DATABASE_URL names a PostgreSQL server; bench/run.sh measures the
// same call under load and beside pgbench.
func BenchmarkAdmitSettle(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db := dbtest.Open(b, kind)
			meter := metering.New(db, metering.Options{
				Logger:               slog.New(slog.DiscardHandler),
				DefaultDailyRequests: 1_000_000,
				DefaultDailyBudget:   1_000_000 * models.MicroUSD(1_000_000),
				PromptRetention:      30 * 24 * time.Hour,
			})
			ctx := context.Background()
			outcome := metering.Outcome{Tokens: models.Tokens{TextInput: 10, ImageOutput: 1056}, Units: 1, RequestID: "req_bench", Attempts: 1}

			calls := 0
			for b.Loop() {
				charge := imageCharge(fmt.Sprintf("bench-%d", calls))
				charge.Caller.DiscordUserID = fmt.Sprintf("%d", 100_000+calls%1000)
				charge.Prompt = "a lighthouse on a cliff at dusk, in watercolour"
				r, err := meter.Admit(ctx, charge)
				if err != nil {
					b.Fatalf("call %d: Admit: %v", calls, err)
				}
				if _, err := meter.Settle(ctx, r, outcome); err != nil {
					b.Fatalf("call %d: Settle: %v", calls, err)
				}
				calls++
			}
		})
	}
}
