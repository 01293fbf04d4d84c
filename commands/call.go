package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// Responder sends an interaction's responses to Discord. The bot package
// implements it with discordgo; every method returns the REST error.
type Responder interface {
	// Respond sends the one interaction response (a reply or a deferral).
	Respond(ctx context.Context, in *discordgo.Interaction, resp *discordgo.InteractionResponse) error
	// EditOriginal edits the message of the interaction response.
	EditOriginal(ctx context.Context, in *discordgo.Interaction, edit *discordgo.WebhookEdit) error
	// DeleteOriginal deletes the message of the interaction response.
	DeleteOriginal(ctx context.Context, in *discordgo.Interaction) error
	// Followup sends a further message with the interaction's token.
	Followup(ctx context.Context, in *discordgo.Interaction, params *discordgo.WebhookParams) error
}

// AdmissionBudget is how long admission may take before the bot defers
// anyway, to stay inside Discord's 3-second deadline for the first response.
const AdmissionBudget = time.Second

// Call is one interaction being handled: who made it, where, and the state
// of its response, so that exactly one interaction response is ever sent.
type Call struct {
	Interaction *discordgo.Interaction
	Caller      metering.Caller
	// Permissions are the member's permissions in the channel; zero in a DM.
	Permissions int64

	responder Responder
	meter     *metering.Meter
	access    Access
	logger    *slog.Logger

	mu        sync.Mutex
	responded bool
}

// NewCall resolves the caller of an interaction: member.user in a server,
// user in a DM, by Discord user ID.
func NewCall(in *discordgo.Interaction, responder Responder, meter *metering.Meter, access Access, logger *slog.Logger) (*Call, error) {
	call := &Call{Interaction: in, responder: responder, meter: meter, access: access, logger: logger}
	user := in.User
	if in.Member != nil && in.Member.User != nil {
		user = in.Member.User
		call.Permissions = in.Member.Permissions
	}
	if user == nil || user.ID == "" {
		return nil, errors.New("interaction has neither member.user nor user")
	}
	guildID := in.GuildID
	if guildID == "" {
		guildID = models.DMGuildID
	}
	call.Caller = metering.Caller{
		DiscordUserID: user.ID,
		Username:      user.Username,
		GuildID:       guildID,
		ChannelID:     in.ChannelID,
	}
	return call, nil
}

// InDM reports whether the interaction came from a direct message.
func (c *Call) InDM() bool { return c.Caller.GuildID == models.DMGuildID }

// Responded reports whether the interaction response has been sent.
func (c *Call) Responded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.responded
}

// Admit runs admission for the charge under AdmissionBudget and defers the
// response publicly once the request is admitted. It never returns a
// replayed reservation: a second delivery of an admitted interaction gets
// ErrAnswered and must do nothing more. A refusal is answered
// ephemerally with its reason and returned as ErrAnswered. If admission
// overruns its budget the response is deferred at once and admission
// finishes afterwards; a late refusal then deletes the deferred response
// and explains itself in an ephemeral follow-up.
func (c *Call) Admit(ctx context.Context, charge metering.Charge) (*metering.Reservation, error) {
	type admission struct {
		reservation *metering.Reservation
		err         error
	}
	done := make(chan admission, 1)
	go func() {
		r, err := c.meter.Admit(ctx, charge)
		done <- admission{r, err}
	}()

	timer := time.NewTimer(AdmissionBudget)
	defer timer.Stop()
	var result admission
	late := false
	select {
	case result = <-done:
	case <-timer.C:
		late = true
		c.logger.Warn("admission overran its budget; deferring first",
			slog.String("interaction_id", c.Interaction.ID), slog.Duration("budget", AdmissionBudget))
		if err := c.Defer(ctx); err != nil {
			return nil, err
		}
		result = <-done
	}

	if refusal, ok := metering.AsRefusal(result.err); ok {
		message := RefusalMessage(refusal)
		if late {
			if err := c.responder.DeleteOriginal(ctx, c.Interaction); err != nil {
				c.logger.Error("delete deferred response after late refusal", slog.String("interaction_id", c.Interaction.ID), slog.Any("error", err))
			}
			err := c.responder.Followup(ctx, c.Interaction, &discordgo.WebhookParams{Content: message, Flags: discordgo.MessageFlagsEphemeral})
			if err != nil {
				return nil, fmt.Errorf("send late refusal: %w", err)
			}
			return nil, ErrAnswered
		}
		if err := c.ReplyEphemeral(ctx, message); err != nil {
			return nil, err
		}
		return nil, ErrAnswered
	}
	if result.err != nil {
		c.logger.Error("admission failed; nothing sent to OpenAI", slog.String("interaction_id", c.Interaction.ID), slog.Any("error", result.err))
		return nil, &UserError{Message: "Tally cannot reach its database right now, so nothing was sent to OpenAI and nothing was charged. Please try again in a minute."}
	}
	if result.reservation.Replayed {
		// Another delivery of this interaction (a second gateway session, or
		// Discord's retry) holds the reservation and responds. This one must
		// neither respond nor touch the ledger row.
		c.logger.Info("interaction already admitted by another delivery; ignoring this one", slog.String("interaction_id", c.Interaction.ID))
		return nil, ErrAnswered
	}
	if !late {
		if err := c.Defer(ctx); err != nil {
			// The reservation is released by the caller's error path.
			return result.reservation, err
		}
	}
	return result.reservation, nil
}

// Defer sends the deferred, public response (type 5): Discord shows
// "thinking…" until the original response is edited.
func (c *Call) Defer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.responded {
		return nil
	}
	err := c.responder.Respond(ctx, c.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
	})
	// Even a refused attempt counts: Discord allows one response, and a
	// second attempt after 10062 or 40060 is refused the same way.
	c.responded = true
	if err != nil {
		return fmt.Errorf("defer response: %w", err)
	}
	return nil
}

// ReplyEphemeral responds with a message only the caller can read, or, when a
// response was already sent, edits it with the message.
func (c *Call) ReplyEphemeral(ctx context.Context, message string) error {
	c.mu.Lock()
	if c.responded {
		c.mu.Unlock()
		return c.Edit(ctx, &discordgo.WebhookEdit{Content: &message})
	}
	defer c.mu.Unlock()
	err := c.responder.Respond(ctx, c.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: message, Flags: discordgo.MessageFlagsEphemeral},
	})
	c.responded = true
	if err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	return nil
}

// Edit edits the original response; it requires a response to have been
// sent. A Discord server error is retried twice, with a short wait, because
// the edit usually carries what the member has paid for.
func (c *Call) Edit(ctx context.Context, edit *discordgo.WebhookEdit) error {
	var err error
	for attempt, wait := range []time.Duration{0, 500 * time.Millisecond, 2 * time.Second} {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("edit original response: %w", err)
			case <-time.After(wait):
			}
			c.logger.Warn("retrying the edit of the original response", slog.String("interaction_id", c.Interaction.ID),
				slog.Int("attempt", attempt+1), slog.Any("error", err))
		}
		rewindFiles(edit.Files)
		if err = c.responder.EditOriginal(ctx, c.Interaction, edit); err == nil || !serverError(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("edit original response: %w", err)
	}
	return nil
}

// serverError reports whether Discord returned a 5xx status.
func serverError(err error) bool {
	var restErr *discordgo.RESTError
	return errors.As(err, &restErr) && restErr.Response != nil && restErr.Response.StatusCode >= 500
}

// rewindFiles moves seekable file readers back to their start, so that a
// retried upload sends the files again.
func rewindFiles(files []*discordgo.File) {
	for _, f := range files {
		if seeker, ok := f.Reader.(io.Seeker); ok {
			seeker.Seek(0, io.SeekStart)
		}
	}
}
