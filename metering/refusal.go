package metering

import (
	"errors"
	"fmt"
	"time"

	"github.com/tallybot/tally/models"
)

// Reason is why admission refused a request.
type Reason string

// Refusal reasons, stored in the ledger's failure column of refused rows.
const (
	ReasonBlacklisted Reason = "blacklisted"
	ReasonRateLimited Reason = "rate_limited"
	ReasonOverBudget  Reason = "over_budget"
)

// Refusal is the error Admit returns when a request may not go to OpenAI.
// Its fields are safe to show to the member it concerns.
type Refusal struct {
	Reason Reason
	// Note is the moderator's reason for a blacklist or rate limit.
	Note string
	// RetryAt is when the request would next be admitted, or zero when
	// that is not known.
	RetryAt time.Time
	// Limit and Period describe the rate limit that was reached.
	Limit  int
	Period models.Period
	// Budget is the cap that would be exceeded.
	Budget models.MicroUSD
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("request refused: %s", r.Reason)
}

// AsRefusal returns the refusal inside err, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var refusal *Refusal
	ok := errors.As(err, &refusal)
	return refusal, ok
}
