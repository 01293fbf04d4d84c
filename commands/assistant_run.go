package commands

import (
	"context"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// Limits of one assistant run.
const (
	// assistantMaxOutputTokens caps the output of each response, reasoning
	// included, which bounds what one request can cost.
	assistantMaxOutputTokens = 8192
	// historyTokensEstimate is the estimate's allowance for the
	// conversation's earlier items. It is a guess, because only the
	// response's usage reports how many input tokens the history took.
	historyTokensEstimate = 4000
	// runDeadline bounds a whole run, every request and tool included, so
	// that the answer arrives within the 15 minutes an interaction token
	// lives.
	runDeadline = 12 * time.Minute
)

// abandonedCallOutput is the output sent for a function call that an
// earlier run left without one.
const abandonedCallOutput = `{"error":"Tally did not run this call, because the tool round limit was reached or the request that carried its output failed."}`

// assistantRun answers one member message in a conversation: a response,
// then one tool run for each round of function calls, each request admitted
// as its own ledger step and settled from its usage.
type assistantRun struct {
	deps      *Deps
	call      *Call
	assistant models.Assistant
	thread    models.Thread
	// claim is the run claim this run holds on thread.
	claim time.Time
	// step is the ledger step of the next request.
	step      int
	cost      models.MicroUSD
	allowance metering.Allowance
	text      string
	notices   []string
}

// runOutcome is the result of a run: the model's last text, notices for
// the member about failures and limits, and the total cost of the run's
// requests.
type runOutcome struct {
	Text      string
	Notices   []string
	Cost      models.MicroUSD
	Allowance metering.Allowance
}

// answerMessage runs the conversation on message. first is the admitted
// reservation of the first request, and allowance what the member has left
// as of the interaction's step 0.
func (r *assistantRun) answerMessage(ctx context.Context, message string, first *metering.Reservation, allowance metering.Allowance) runOutcome {
	ctx, cancel := context.WithTimeout(ctx, runDeadline)
	defer cancel()
	r.step = first.Entry.Step + 1
	r.allowance = mergeAllowance(allowance, first.Allowance)

	var tools []openaiclient.FunctionTool
	if r.deps.MaxToolRounds > 0 {
		tools = enabledTools(r.assistant.Tools)
	}
	env := toolEnv{deps: r.deps, caller: r.call.Caller, allowance: r.allowance}
	abandoned := r.thread.PendingCalls()
	request := openaiclient.ResponseRequest{
		Model:           r.assistant.Model,
		ConversationID:  r.thread.ConversationID,
		Instructions:    r.assistant.Instructions,
		Message:         message,
		FunctionOutputs: abandonedOutputs(abandoned),
		Tools:           tools,
		MaxOutputTokens: assistantMaxOutputTokens,
		SafetyID:        r.deps.SafetyID(r.call.Caller.DiscordUserID),
	}
	pendingStored := len(abandoned) > 0

	reservation := first
	for round := 0; ; round++ {
		if reservation == nil {
			var ok bool
			if reservation, ok = r.admit(ctx, request); !ok {
				break
			}
		}
		result, latency, err := r.send(ctx, request)
		if err != nil {
			// NOTE: when the outcome is unknown (a timeout after sending),
			// OpenAI may have stored function calls that Tally never saw.
			// The next request in the conversation then fails until those
			// calls get outputs, and the client cannot list the
			// conversation's items to find them.
			r.fail(ctx, reservation, err)
			if round == 0 && len(abandoned) > 0 && openaiclient.Classify(err) == openaiclient.FailureBadRequest {
				// OpenAI may have stored those outputs after all, when an
				// earlier request's outcome was unknown; then it rejects
				// them as unknown calls. Forget them, so that the member's
				// next message goes through.
				r.storePending(ctx, nil)
			}
			break
		}
		r.settle(ctx, reservation, result, latency)
		reservation = nil
		r.noteStatus(result)
		if result.Text != "" {
			r.text = result.Text
		}

		// The conversation now holds these calls, and OpenAI rejects every
		// later request until each has an output. So the row keeps them
		// until a request that carries the outputs succeeds.
		calls := result.FunctionCalls
		if len(calls) > 0 || pendingStored {
			r.storePending(ctx, callIDs(calls))
			pendingStored = len(calls) > 0
		}
		if len(calls) == 0 {
			break
		}
		if round >= r.deps.MaxToolRounds {
			r.notices = append(r.notices, fmt.Sprintf(
				"The assistant was still calling tools after %d rounds, the limit, so Tally stopped it.", r.deps.MaxToolRounds))
			break
		}
		request.Message = ""
		request.FunctionOutputs = runToolCalls(ctx, env, tools, calls)
	}

	if r.text == "" && len(r.notices) == 0 {
		r.notices = append(r.notices, "The assistant returned no text.")
	}
	return runOutcome{Text: r.text, Notices: r.notices, Cost: r.cost, Allowance: r.allowance}
}

// admit admits the next tool run. On a refusal or a database failure it
// records the notice and reports false.
func (r *assistantRun) admit(ctx context.Context, request openaiclient.ResponseRequest) (*metering.Reservation, bool) {
	reservation, err := r.deps.Meter.Admit(ctx, metering.Charge{
		InteractionID: r.call.Interaction.ID,
		Step:          r.step,
		Caller:        r.call.Caller,
		Endpoint:      models.EndpointAssistantSubmitToolRun,
		Model:         r.assistant.Model,
		Expected:      expectedResponseTokens(request),
	})
	if refusal, ok := metering.AsRefusal(err); ok {
		r.notices = append(r.notices, "Tally stopped the assistant before its next request. "+RefusalMessage(refusal))
		return nil, false
	}
	if err != nil {
		r.logger().Error("admit assistant tool run", slog.String("endpoint", models.EndpointAssistantSubmitToolRun),
			slog.Int("step", r.step), slog.Any("error", err))
		r.notices = append(r.notices, "Tally cannot reach its database, so the assistant stopped before its next request to OpenAI.")
		return nil, false
	}
	if reservation.Replayed {
		r.logger().Warn("assistant tool run already admitted; not sending it again", slog.Int("step", r.step))
		return nil, false
	}
	r.step++
	r.allowance = mergeAllowance(r.allowance, reservation.Allowance)
	return reservation, true
}

// send makes one request to OpenAI, bounded by OpenAITimeout and the
// OpenAI request slots.
func (r *assistantRun) send(ctx context.Context, request openaiclient.ResponseRequest) (openaiclient.ResponseResult, time.Duration, error) {
	if r.deps.OpenAITimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.deps.OpenAITimeout)
		defer cancel()
	}
	release, err := acquireSlot(ctx, r.deps.OpenAISlots)
	if err != nil {
		return openaiclient.ResponseResult{}, 0, &openaiclient.Error{Operation: "POST /responses", Failure: openaiclient.FailureNotSent, Err: err}
	}
	defer release()

	start := time.Now()
	result, err := r.deps.OpenAI.CreateResponse(ctx, request)
	return result, time.Since(start), err
}

// settle records the request's real cost from its usage.
func (r *assistantRun) settle(ctx context.Context, reservation *metering.Reservation, result openaiclient.ResponseResult, latency time.Duration) {
	cost, err := r.deps.Meter.Settle(context.WithoutCancel(ctx), reservation, metering.Outcome{
		Tokens:    tokensOf(result.Usage),
		RequestID: result.RequestID,
		Latency:   latency,
		Attempts:  result.Attempts,
	})
	if err != nil {
		// The ledger row stays pending, and recovery settles it at the
		// estimate, which the member is shown meanwhile.
		r.logger().Error("settle assistant request", slog.String("endpoint", reservation.Entry.Endpoint),
			slog.Int("step", reservation.Entry.Step), slog.Any("error", err))
		cost = reservation.Entry.Estimate
	}
	r.cost += cost
}

// fail closes the reservation of a failed request and records the
// message for the member.
func (r *assistantRun) fail(ctx context.Context, reservation *metering.Reservation, err error) {
	message := closeFailed(ctx, r.deps, r.call, reservation, err)
	if r.cost > 0 {
		message += " The requests before it were charged, as the cost below shows."
	}
	r.notices = append(r.notices, message)
}

// noteStatus records what the member should know about a response that
// did not complete.
func (r *assistantRun) noteStatus(result openaiclient.ResponseResult) {
	switch result.Status {
	case "incomplete":
		reason := "before it finished"
		switch result.IncompleteReason {
		case "max_output_tokens":
			reason = "at its length limit"
		case "content_filter":
			reason = "by OpenAI's content filter"
		}
		r.notices = append(r.notices, "The answer was cut off "+reason+".")
	case "failed":
		r.logger().Warn("openai response failed", slog.String("error_code", result.ErrorCode),
			slog.String("error_message", result.ErrorMessage), slog.String("openai_request_id", result.RequestID))
		r.notices = append(r.notices, "OpenAI could not finish this answer. Please try again.")
	}
}

// storePending records the calls the conversation still needs outputs for.
func (r *assistantRun) storePending(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := models.SetPendingCalls(ctx, r.deps.DB, r.thread.ID, r.claim, ids); err != nil {
		r.logger().Error("store pending function calls", slog.Int64("thread_id", r.thread.ID), slog.Any("error", err))
	}
}

func (r *assistantRun) logger() *slog.Logger {
	return r.deps.Logger.With(slog.String("command", "assistant"), slog.String("interaction_id", r.call.Interaction.ID),
		slog.String("user_id", r.call.Caller.DiscordUserID), slog.String("guild_id", r.call.Caller.GuildID))
}

// expectedResponseTokens estimates a request's usage for its reservation:
// its text at about one token per three characters, plus
// historyTokensEstimate, and the whole output limit.
func expectedResponseTokens(request openaiclient.ResponseRequest) models.Tokens {
	chars := utf8.RuneCountInString(request.Instructions) + utf8.RuneCountInString(request.Message)
	for _, output := range request.FunctionOutputs {
		chars += utf8.RuneCountInString(output.Output)
	}
	return models.Tokens{
		TextInput:  int64(chars+2)/3 + historyTokensEstimate,
		TextOutput: assistantMaxOutputTokens,
	}
}

// mergeAllowance keeps the request limit of the interaction's step 0,
// which only that step reports, and takes the budget left from later,
// when a later admission reports one.
func mergeAllowance(base, later metering.Allowance) metering.Allowance {
	if later.HasBudget {
		base.HasBudget, base.BudgetLeft, base.BudgetPeriod = true, later.BudgetLeft, later.BudgetPeriod
	}
	return base
}

func abandonedOutputs(ids []string) []openaiclient.FunctionOutput {
	var outputs []openaiclient.FunctionOutput
	for _, id := range ids {
		outputs = append(outputs, openaiclient.FunctionOutput{CallID: id, Output: abandonedCallOutput})
	}
	return outputs
}

func callIDs(calls []openaiclient.FunctionCall) []string {
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.CallID)
	}
	return ids
}
