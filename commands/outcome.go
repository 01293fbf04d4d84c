package commands

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/openaiclient"
)

// closeFailed releases or settles a reservation whose OpenAI request failed,
// logs the failure once, and returns what the member is told. A failure
// OpenAI may have billed (a timeout after the request was sent) is settled
// at the estimate; every other failure costs nothing.
func closeFailed(ctx context.Context, deps *Deps, call *Call, r *metering.Reservation, callErr error) string {
	failure := openaiclient.Classify(callErr)
	attempts := 0
	var clientErr *openaiclient.Error
	if errors.As(callErr, &clientErr) {
		attempts = clientErr.Attempts
	}
	// Settlement must happen even when the interaction's context has ended.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()

	attrs := []any{
		slog.String("interaction_id", call.Interaction.ID), slog.String("user_id", call.Caller.DiscordUserID),
		slog.String("guild_id", call.Caller.GuildID), slog.String("endpoint", r.Entry.Endpoint),
		slog.String("failure", failure.String()), slog.Any("error", callErr),
	}
	var err error
	if failure == openaiclient.FailureUnknownOutcome {
		err = deps.Meter.SettleUncertain(ctx, r, failure.String(), attempts)
	} else {
		err = deps.Meter.Release(ctx, r, failure.String(), attempts)
	}
	if err != nil {
		deps.Logger.Error("close failed ledger row", append(attrs, slog.Any("close_error", err))...)
	}

	switch failure {
	case openaiclient.FailureModeration:
		deps.Logger.Info("openai refused the prompt", attrs...)
		return "OpenAI's safety system refused this request. Try rewording it. Nothing was charged."
	case openaiclient.FailureQuota:
		deps.Logger.Error("openai quota exhausted: add credit to the OpenAI account", attrs...)
		return "Tally cannot use OpenAI right now because the operator's OpenAI account is out of credit. The operator has been told. Nothing was charged."
	case openaiclient.FailureRateLimited:
		deps.Logger.Warn("openai rate limit persisted after retries", attrs...)
		return "OpenAI is busy right now. Please try again in a minute. Nothing was charged."
	case openaiclient.FailureServer, openaiclient.FailureNotSent:
		deps.Logger.Warn("openai unavailable", attrs...)
		return "OpenAI could not be reached or had a server error. Please try again in a few minutes. Nothing was charged."
	case openaiclient.FailureAuth:
		deps.Logger.Error("openai rejected the API key: check OPENAI_API_KEY", attrs...)
		return "Tally's OpenAI account is not set up correctly. The operator has been told. Nothing was charged."
	case openaiclient.FailureUnknownOutcome:
		deps.Logger.Error("openai outcome unknown; charged the estimate", attrs...)
		return "The request to OpenAI was interrupted, so its result is unknown. You were charged the estimate of " +
			r.Entry.Estimate.String() + ", because OpenAI may have billed it."
	default:
		deps.Logger.Error("openai rejected the request", attrs...)
		return "OpenAI rejected this request. Please check the options and try again. Nothing was charged."
	}
}

// acquireSlot waits for room among the OpenAI requests in flight.
func acquireSlot(ctx context.Context, slots chan struct{}) (release func(), err error) {
	if slots == nil {
		return func() {}, nil
	}
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
