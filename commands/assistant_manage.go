package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// maxAssistantsPerScope bounds the assistants of one server (or one
// member's DMs), so that the free create cannot fill the table and
// /assistant list stays readable.
const maxAssistantsPerScope = 100

// modelNamePattern matches OpenAI model IDs, such as "gpt-5-mini" or
// "ft:gpt-4o-mini:org:custom:abc123".
var modelNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)

// createAssistant handles /assistant create name instructions [model]. The
// assistant is a database row, so nothing is sent to OpenAI, but the
// request is still admitted and recorded under openai_assistant_create at
// its price, which the seed sets to zero.
func createAssistant(ctx context.Context, deps *Deps, call *Call, opts options) error {
	name := strings.TrimSpace(opts.text("name"))
	instructions := strings.TrimSpace(opts.text("instructions"))
	model := strings.TrimSpace(opts.text("model"))
	if err := checkAssistantName(name); err != nil {
		return err
	}
	if instructions == "" {
		return Userf("The instructions are empty. Say how the assistant should behave, for example `You answer questions about our game in two sentences.`")
	}
	if n := utf8.RuneCountInString(instructions); n > maxInstructionsLength {
		return Userf("The instructions are %d characters long; the maximum is %d.", n, maxInstructionsLength)
	}
	if model == "" {
		model = deps.AssistantModel
	}
	if err := checkAssistantModel(ctx, deps, model); err != nil {
		return err
	}

	scope := assistantScope(call)
	count, err := models.CountAssistants(ctx, deps.DB, scope)
	if err != nil {
		return err
	}
	if count >= maxAssistantsPerScope {
		return Userf("This server already has %d assistants, the maximum. Delete one with `/assistant delete` first.", count)
	}
	if _, err := models.FindAssistant(ctx, deps.DB, scope, name); err == nil {
		return Userf("An assistant named **%s** already exists here. Choose another name, or talk to it with `/assistant chat`.", escapeMarkdown(name))
	} else if !errors.Is(err, models.ErrAssistantNotFound) {
		return err
	}

	reservation, err := call.Admit(ctx, metering.Charge{
		InteractionID: call.Interaction.ID,
		Caller:        call.Caller,
		Endpoint:      models.EndpointAssistantCreate,
		Model:         model,
		Prompt:        instructions,
	})
	if err != nil {
		if reservation != nil {
			deps.Meter.Release(context.WithoutCancel(ctx), reservation, "not_sent", 0)
		}
		return err
	}
	assistant := models.Assistant{
		CreatorID:    reservation.Entry.UserID,
		GuildID:      scope,
		Name:         name,
		Instructions: instructions,
		Model:        model,
		Tools:        strings.Join(assistantToolNames(), ","),
		DateCreated:  deps.Now().UTC(),
	}
	if err := models.CreateAssistant(ctx, deps.DB, &assistant); err != nil {
		if releaseErr := deps.Meter.Release(context.WithoutCancel(ctx), reservation, "not_created", 0); releaseErr != nil {
			deps.Logger.Error("release assistant create", slog.String("interaction_id", call.Interaction.ID), slog.Any("error", releaseErr))
		}
		if errors.Is(err, models.ErrAssistantNameTaken) {
			return Userf("An assistant named **%s** was created here a moment ago. Choose another name. Nothing was charged.", escapeMarkdown(name))
		}
		return err
	}
	cost, err := deps.Meter.Settle(context.WithoutCancel(ctx), reservation, metering.Outcome{})
	if err != nil {
		deps.Logger.Error("settle assistant create", slog.String("interaction_id", call.Interaction.ID), slog.Any("error", err))
		cost = reservation.Entry.Estimate
	}
	deps.Logger.Info("assistant created", slog.String("user_id", call.Caller.DiscordUserID), slog.String("guild_id", call.Caller.GuildID),
		slog.String("assistant_id", assistant.AssistantID), slog.String("model", model))

	content := fmt.Sprintf("Created the assistant **%s** (model `%s`). Talk to it with `/assistant chat assistant:%s`.\n%s",
		escapeMarkdown(name), model, name, costLine(cost, reservation.Allowance))
	return call.Edit(ctx, &discordgo.WebhookEdit{Content: &content, AllowedMentions: &discordgo.MessageAllowedMentions{}})
}

// checkAssistantName returns a *UserError unless name can name an
// assistant: 1 to 50 characters with no line breaks or control characters.
func checkAssistantName(name string) error {
	if name == "" {
		return Userf("The name is empty. Give the assistant a short name, such as `helper`.")
	}
	if n := utf8.RuneCountInString(name); n > maxAssistantNameLength {
		return Userf("The name is %d characters long; the maximum is %d.", n, maxAssistantNameLength)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return Userf("The name contains a line break or a control character. Use a single line of text.")
	}
	return nil
}

// checkAssistantModel returns a *UserError unless members may choose the
// model: the configured assistant model, or a model that cost_table prices
// for assistant runs. Unpriced models would be charged the flat fallback,
// which may be far below what OpenAI bills for them.
func checkAssistantModel(ctx context.Context, deps *Deps, model string) error {
	if utf8.RuneCountInString(model) > maxModelNameLength || !modelNamePattern.MatchString(model) {
		return Userf("%q is not a valid model name. Leave the model out to use `%s`.", model, deps.AssistantModel)
	}
	if model == deps.AssistantModel {
		return nil
	}
	_, err := models.FindPrice(ctx, deps.DB, models.EndpointAssistantRun, model, "", "", deps.Now())
	if errors.Is(err, models.ErrNoPrice) {
		return Userf("Tally has no price for the model `%s`, so it cannot be used. Leave the model out to use `%s`, or ask the operator to add a price with `tally prices set`.", model, deps.AssistantModel)
	}
	return err
}

// listAssistants handles /assistant list: the assistants of the server (or
// of the caller's DMs) with their models and creators, shown to the caller
// only. Nothing is sent to OpenAI, so nothing is metered.
func listAssistants(ctx context.Context, deps *Deps, call *Call) error {
	list, err := models.ListAssistants(ctx, deps.DB, assistantScope(call))
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return call.ReplyEphemeral(ctx, "There are no assistants here yet. Create one with `/assistant create`.")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "**Assistants (%d)**\n", len(list))
	for i, a := range list {
		line := fmt.Sprintf("• **%s** · `%s` · by %s\n", escapeMarkdown(a.Name), a.Model, escapeMarkdown(a.CreatorUsername))
		more := fmt.Sprintf("…and %d more.", len(list)-i)
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line)+utf8.RuneCountInString(more) > maxContentLength {
			b.WriteString(more)
			break
		}
		b.WriteString(line)
	}
	return call.ReplyEphemeral(ctx, strings.TrimRight(b.String(), "\n"))
}

// deleteAssistant handles /assistant delete name. Its creator, a moderator
// of the server or an operator may delete an assistant. The row stays, marked
// deleted, so that past conversations keep their history.
func deleteAssistant(ctx context.Context, deps *Deps, call *Call, opts options) error {
	name := strings.TrimSpace(opts.text("name"))
	if name == "" {
		return Userf("The name is empty. `/assistant list` shows the assistants here.")
	}
	assistant, err := models.FindAssistant(ctx, deps.DB, assistantScope(call), name)
	if errors.Is(err, models.ErrAssistantNotFound) {
		return Userf("There is no assistant named **%s** here. `/assistant list` shows the assistants here.", escapeMarkdown(name))
	}
	if err != nil {
		return err
	}

	isCreator := false
	user, err := models.FindUserByDiscordID(ctx, deps.DB, call.Caller.DiscordUserID)
	if err == nil {
		isCreator = user.ID == assistant.CreatorID
	}
	if !isCreator && !call.IsModerator() && !call.IsOperator() {
		return Userf("Only the creator of **%s** or a moderator can delete it.", escapeMarkdown(assistant.Name))
	}

	if err := models.DeleteAssistant(ctx, deps.DB, assistant.ID, deps.Now()); err != nil {
		if errors.Is(err, models.ErrAssistantNotFound) {
			return Userf("The assistant **%s** was already deleted.", escapeMarkdown(assistant.Name))
		}
		return err
	}
	deps.Logger.Info("assistant deleted", slog.String("user_id", call.Caller.DiscordUserID), slog.String("guild_id", call.Caller.GuildID),
		slog.String("assistant_id", assistant.AssistantID), slog.Bool("by_creator", isCreator))
	return call.ReplyEphemeral(ctx, fmt.Sprintf("Deleted the assistant **%s**. Its conversations have ended.", escapeMarkdown(assistant.Name)))
}
