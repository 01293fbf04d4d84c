package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/commands"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/metrics"
)

// router hands each interaction to its command, through the middleware every
// command shares: panic recovery, logging, caller identity and one central
// error handler.
type router struct {
	commands map[string]*commands.Command
	meter    *metering.Meter
	access   commands.Access
	metrics  *metrics.Metrics
	logger   *slog.Logger

	// base is the parent of every interaction's context; cancelling it
	// abandons work still running when shutdown gives up waiting.
	base     context.Context
	inFlight sync.WaitGroup
	mu       sync.Mutex
	closed   bool
}

// errPanicked stands for a handler's panic, which was logged where it was
// recovered.
var errPanicked = errors.New("command panicked")

// interactionLifetime is how long an interaction token can be used for
// follow-ups and edits: Discord invalidates it after 15 minutes.
const interactionLifetime = 15 * time.Minute

func newRouter(base context.Context, all []*commands.Command, meter *metering.Meter, access commands.Access, m *metrics.Metrics, logger *slog.Logger) *router {
	byName := make(map[string]*commands.Command, len(all))
	for _, c := range all {
		byName[c.Definition.Name] = c
	}
	if m == nil {
		m = metrics.New()
	}
	return &router{commands: byName, meter: meter, access: access, metrics: m, logger: logger, base: base}
}

// dispatch handles one interaction in its own goroutine, responding through
// responder, and returns at once. It reports false, and does nothing, when
// the router is shutting down.
func (r *router) dispatch(in *discordgo.Interaction, responder commands.Responder) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.logger.Warn("interaction refused during shutdown", slog.String("interaction_id", in.ID))
		go r.refuseDuringShutdown(in, responder)
		return false
	}
	r.inFlight.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.inFlight.Done()
		r.handle(in, responder)
	}()
	return true
}

// respondUnhandled sends the one response an interaction Tally cannot
// handle still needs: no choices for an autocomplete, and otherwise a
// short message only the member can read.
func (r *router) respondUnhandled(ctx context.Context, logger *slog.Logger, in *discordgo.Interaction, responder commands.Responder) {
	resp := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: "Tally cannot handle this interaction. Use one of its slash commands; /help lists them.",
			Flags:   discordgo.MessageFlagsEphemeral,
		},
	}
	if in.Type == discordgo.InteractionApplicationCommandAutocomplete {
		resp = &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}},
		}
	}
	if err := responder.Respond(ctx, in, resp); err != nil {
		logger.Warn("respond to unhandled interaction", slog.Any("error", err))
	}
}

// refuseDuringShutdown informs the member that Tally is restarting, so the
// interaction does not end in Discord's "did not respond".
func (r *router) refuseDuringShutdown(in *discordgo.Interaction, responder commands.Responder) {
	if _, ok := responder.(*httpResponder); ok {
		return // the endpoint returns 503, so Discord retries elsewhere
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := responder.Respond(ctx, in, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: "Tally is restarting and did not take this request; nothing was charged. Please try again in a minute.",
			Flags:   discordgo.MessageFlagsEphemeral,
		},
	})
	if err != nil {
		r.logger.Warn("tell member about shutdown", slog.String("interaction_id", in.ID), slog.Any("error", err))
	}
}

// close stops taking interactions and waits for those in flight, at most
// until ctx ends. It reports whether all of them finished.
func (r *router) close(ctx context.Context) bool {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		r.inFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *router) handle(in *discordgo.Interaction, responder commands.Responder) {
	ctx, cancel := context.WithTimeout(r.base, interactionLifetime)
	defer cancel()
	start := time.Now()
	logger := r.logger.With(slog.String("interaction_id", in.ID), slog.String("guild_id", in.GuildID))

	var call *commands.Call
	done := r.metrics.InteractionStarted()
	command, outcome := "unknown", "error"
	defer func() {
		if p := recover(); p != nil {
			logger.Error("command panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			r.answerError(ctx, logger, call, in, errPanicked)
			outcome = "panic"
		}
		done(command, outcome)
	}()

	if in.Type != discordgo.InteractionApplicationCommand {
		logger.Info("interaction type not handled", slog.Int("type", int(in.Type)))
		r.respondUnhandled(ctx, logger, in, responder)
		return
	}
	name := in.ApplicationCommandData().Name
	logger = logger.With(slog.String("command", name))

	call, err := commands.NewCall(in, responder, r.meter, r.access, logger)
	if err != nil {
		logger.Error("resolve caller", slog.Any("error", err))
		r.respondUnhandled(ctx, logger, in, responder)
		return
	}
	logger = logger.With(slog.String("user_id", call.Caller.DiscordUserID))

	handler, ok := r.commands[name]
	if !ok {
		logger.Warn("unknown command")
		r.answerError(ctx, logger, call, in, commands.Userf("Tally does not know the command /%s. It may have been removed; try again in a minute.", name))
		return
	}
	command = name

	err = handler.Handle(ctx, call)
	r.answerError(ctx, logger, call, in, err)
	outcome = outcomeOf(err)
	logger.Info("interaction handled", slog.Duration("duration", time.Since(start)), slog.String("outcome", outcome))
}

// outcomeOf names a handler's result for the interactions metric.
func outcomeOf(err error) string {
	var userErr *commands.UserError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, commands.ErrAnswered):
		return "refused"
	case errors.As(err, &userErr):
		return "user_error"
	default:
		return "error"
	}
}

// answerError is the one place where a handler's error reaches the member:
// a *commands.UserError as written, anything else as a generic message,
// logged in full. It never sends a second interaction response.
func (r *router) answerError(ctx context.Context, logger *slog.Logger, call *commands.Call, in *discordgo.Interaction, err error) {
	if err == nil || errors.Is(err, commands.ErrAnswered) {
		return
	}
	message := commands.InternalMessage
	var userErr *commands.UserError
	if errors.As(err, &userErr) {
		message = userErr.Message
		logger.Info("command rejected input", slog.String("message", message))
	} else if !errors.Is(err, errPanicked) {
		logger.Error("command failed", slog.Any("error", err))
	}
	if call == nil {
		return
	}
	if replyErr := call.ReplyEphemeral(context.WithoutCancel(ctx), message); replyErr != nil {
		logger.Error("send error message", slog.Any("error", fmt.Errorf("%w (after %v)", replyErr, err)))
	}
}
