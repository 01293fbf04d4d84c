package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// startChat handles /assistant chat assistant message: it creates an
// OpenAI conversation (step 0, openai_assistant_thread_create), ties it to
// a new Discord thread or to the channel, and answers the first message
// (step 1 on, openai_assistant_run and tool runs).
func startChat(ctx context.Context, deps *Deps, call *Call, opts options) error {
	name := strings.TrimSpace(opts.text("assistant"))
	message := strings.TrimSpace(opts.text("message"))
	if name == "" {
		return Userf("Name the assistant to talk to. `/assistant list` shows the assistants here.")
	}
	if err := checkChatMessage(message); err != nil {
		return err
	}
	assistant, err := models.FindAssistant(ctx, deps.DB, assistantScope(call), name)
	if errors.Is(err, models.ErrAssistantNotFound) {
		return Userf("There is no assistant named **%s** here. `/assistant list` shows the assistants here, and `/assistant create` makes one.", escapeMarkdown(name))
	}
	if err != nil {
		return err
	}

	// Step 0: the conversation. Its admission is the member's one request
	// for rate limits, and it defers the response.
	opening, err := call.Admit(ctx, metering.Charge{
		InteractionID: call.Interaction.ID,
		Caller:        call.Caller,
		Endpoint:      models.EndpointAssistantThreadCreate,
		Model:         assistant.Model,
		Prompt:        message,
	})
	if err != nil {
		releaseUnsent(ctx, deps, opening)
		return err
	}
	conversation, latency, err := createConversation(ctx, deps, assistant)
	if err != nil {
		notice := closeFailed(ctx, deps, call, opening, err)
		return call.Edit(ctx, &discordgo.WebhookEdit{Content: &notice})
	}
	openingCost, err := deps.Meter.Settle(context.WithoutCancel(ctx), opening, metering.Outcome{
		RequestID: conversation.RequestID, Latency: latency, Attempts: conversation.Attempts,
	})
	if err != nil {
		deps.Logger.Error("settle conversation create", slog.String("interaction_id", call.Interaction.ID), slog.Any("error", err))
		openingCost = opening.Entry.Estimate
	}

	// Step 1 is admitted before a Discord thread is opened, so that a
	// refusal (a budget, say) leaves no empty thread behind.
	first, err := call.Admit(ctx, responseCharge(call, assistant, 1, models.EndpointAssistantRun, message))
	if err != nil {
		releaseUnsent(ctx, deps, first)
		return err
	}
	channelID, poster := conversationChannel(ctx, deps, call, assistant, message)
	thread := models.Thread{
		CreatorID:        opening.Entry.UserID,
		ConversationID:   conversation.ID,
		AssistantRowID:   assistant.ID,
		GuildID:          call.Caller.GuildID,
		DiscordChannelID: channelID,
		DateCreated:      deps.Now().UTC(),
	}
	claim, ok, err := waitForRun(ctx, deps, func(ctx context.Context, at, staleBefore time.Time) (bool, error) {
		return models.OpenThread(ctx, deps.DB, &thread, at, staleBefore)
	})
	if err != nil || !ok {
		releaseUnsent(ctx, deps, first)
		if err != nil {
			return err
		}
		return Userf("An assistant is still answering a message in this channel. Try again once that answer appears. Nothing was charged.")
	}
	release := claimReleaser(ctx, deps, call, thread.ID, claim)
	defer release()

	run := &assistantRun{deps: deps, call: call, assistant: assistant, thread: thread, claim: claim, cost: openingCost}
	outcome := run.answerMessage(ctx, message, first, opening.Allowance)
	release()
	return deliverAnswer(ctx, deps, call, assistant, outcome, message, channelID, poster)
}

// replyInChat handles /assistant reply message in the thread (or DM) of a
// conversation: one more run in it, from step 0.
func replyInChat(ctx context.Context, deps *Deps, call *Call, opts options) error {
	message := strings.TrimSpace(opts.text("message"))
	if err := checkChatMessage(message); err != nil {
		return err
	}
	thread, assistant, err := findConversation(ctx, deps, call)
	if err != nil {
		return err
	}
	// The conversation holds its starter's tool results, their own usage
	// among them, so only the starter may continue it.
	caller, err := models.FindUserByDiscordID(ctx, deps.DB, call.Caller.DiscordUserID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err != nil || caller.ID != thread.CreatorID {
		return Userf("Only the member who started this conversation can continue it, because it holds their own usage figures. Start your own with `/assistant chat`.")
	}

	first, err := call.Admit(ctx, responseCharge(call, assistant, 0, models.EndpointAssistantRun, message))
	if err != nil {
		releaseUnsent(ctx, deps, first)
		return err
	}
	claim, ok, err := waitForRun(ctx, deps, func(ctx context.Context, at, staleBefore time.Time) (bool, error) {
		return models.ClaimThreadRun(ctx, deps.DB, thread.ID, at, staleBefore)
	})
	if err != nil || !ok {
		releaseUnsent(ctx, deps, first)
		if err != nil {
			return err
		}
		return Userf("**%s** is still answering the previous message here. Send yours again once that answer appears. Nothing was charged.", escapeMarkdown(assistant.Name))
	}
	release := claimReleaser(ctx, deps, call, thread.ID, claim)
	defer release()

	// Read the row again under the claim: the run before this one may have
	// left function calls pending, or a new /assistant chat may have
	// replaced the channel's conversation meanwhile.
	thread, assistant, err = findConversation(ctx, deps, call)
	if err != nil {
		releaseUnsent(ctx, deps, first)
		return err
	}

	run := &assistantRun{deps: deps, call: call, assistant: assistant, thread: thread, claim: claim}
	outcome := run.answerMessage(ctx, message, first, first.Allowance)
	release()
	return deliverAnswer(ctx, deps, call, assistant, outcome, message, call.Interaction.ChannelID, nil)
}

// findConversation returns the conversation tied to the interaction's
// channel and its assistant, or a *UserError when there is none or its
// assistant was deleted.
func findConversation(ctx context.Context, deps *Deps, call *Call) (models.Thread, models.Assistant, error) {
	thread, err := models.FindThreadByChannel(ctx, deps.DB, call.Interaction.ChannelID)
	if errors.Is(err, models.ErrThreadNotFound) || (err == nil && thread.GuildID != call.Caller.GuildID) {
		return models.Thread{}, models.Assistant{}, Userf("There is no assistant conversation in this channel. Start one with `/assistant chat`.")
	}
	if err != nil {
		return models.Thread{}, models.Assistant{}, err
	}
	assistant, err := models.FindAssistantByID(ctx, deps.DB, thread.AssistantRowID)
	if err != nil {
		return models.Thread{}, models.Assistant{}, err
	}
	if !assistant.DateDeleted.IsZero() {
		return models.Thread{}, models.Assistant{}, Userf("The assistant of this conversation was deleted, so the conversation has ended. Start a new one with `/assistant chat`.")
	}
	return thread, assistant, nil
}

// checkChatMessage returns a *UserError unless message can be sent.
func checkChatMessage(message string) error {
	if message == "" {
		return Userf("The message is empty. Write what you want to ask the assistant.")
	}
	if n := utf8.RuneCountInString(message); n > maxMessageLength {
		return Userf("The message is %d characters long; the maximum is %d.", n, maxMessageLength)
	}
	return nil
}

// responseCharge describes the first response of a run for admission.
func responseCharge(call *Call, assistant models.Assistant, step int, endpoint, message string) metering.Charge {
	return metering.Charge{
		InteractionID: call.Interaction.ID,
		Step:          step,
		Caller:        call.Caller,
		Endpoint:      endpoint,
		Model:         assistant.Model,
		Expected:      expectedResponseTokens(openaiclient.ResponseRequest{Instructions: assistant.Instructions, Message: message}),
		Prompt:        message,
	}
}

// releaseUnsent releases a reservation whose request was never sent, when
// admission returned one together with an error or the run could not start.
func releaseUnsent(ctx context.Context, deps *Deps, r *metering.Reservation) {
	if r == nil {
		return
	}
	if err := deps.Meter.Release(context.WithoutCancel(ctx), r, "not_sent", 0); err != nil {
		deps.Logger.Error("release unsent request", slog.String("interaction_id", r.Entry.InteractionID),
			slog.Int("step", r.Entry.Step), slog.Any("error", err))
	}
}

// createConversation creates the OpenAI conversation, bounded like every
// OpenAI request.
func createConversation(ctx context.Context, deps *Deps, assistant models.Assistant) (openaiclient.Conversation, time.Duration, error) {
	if deps.OpenAITimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, deps.OpenAITimeout)
		defer cancel()
	}
	release, err := acquireSlot(ctx, deps.OpenAISlots)
	if err != nil {
		return openaiclient.Conversation{}, 0, &openaiclient.Error{Operation: "POST /conversations", Failure: openaiclient.FailureNotSent, Err: err}
	}
	defer release()

	start := time.Now()
	conversation, err := deps.OpenAI.CreateConversation(ctx, map[string]string{"tally_assistant_id": assistant.AssistantID})
	return conversation, time.Since(start), err
}

// deliverAnswer shows the run's outcome. In a new thread the answer is
// posted there and the original response says where; otherwise the answer
// edits the original response, with follow-ups for the rest.
func deliverAnswer(ctx context.Context, deps *Deps, call *Call, assistant models.Assistant, outcome runOutcome, message, channelID string, poster ChannelPoster) error {
	text := quoteMessage(call.Caller.DiscordUserID, message)
	if outcome.Text != "" {
		text += "\n" + outcome.Text
	}
	if len(outcome.Notices) > 0 {
		text += "\n\n" + strings.Join(outcome.Notices, "\n")
	}
	footer := costLine(outcome.Cost, outcome.Allowance)

	if poster != nil {
		parts, file := answerMessages(text, "")
		err := deliverToChannel(ctx, poster, channelID, parts, file)
		if err == nil {
			summary := fmt.Sprintf("<@%s> started a conversation with **%s** in <#%s>. Continue it there with `/assistant reply`.\n%s",
				call.Caller.DiscordUserID, escapeMarkdown(assistant.Name), channelID, footer)
			return call.Edit(ctx, &discordgo.WebhookEdit{Content: &summary, AllowedMentions: noMentions()})
		}
		deps.Logger.Warn("post in the new thread failed; answering in the channel", slog.String("command", "assistant"),
			slog.String("user_id", call.Caller.DiscordUserID), slog.String("guild_id", call.Caller.GuildID),
			slog.String("thread_id", channelID), slog.Any("error", err))
		text += fmt.Sprintf("\n\nTally could not post in <#%s>; continue there with `/assistant reply`.", channelID)
	}
	parts, file := answerMessages(text, footer)
	return deliverToInteraction(ctx, call, parts, file)
}
