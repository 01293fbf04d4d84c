package bot

import (
	"context"
	"errors"
	"sync"

	"github.com/bwmarrin/discordgo"
)

// httpResponder responds to an interaction that arrived over the HTTP
// interactions endpoint. The first response travels back in the HTTP
// response, which the endpoint's handler is waiting to write. Everything
// after it goes through the REST API with the interaction's token.
type httpResponder struct {
	rest restResponder

	mu sync.Mutex
	// initial receives the first response while the handler still waits.
	initial chan *discordgo.InteractionResponse
	// written is closed once the handler has written its HTTP response.
	written chan struct{}
	// open is true until the handler writes its response.
	open bool
	// autoDeferred is true when the handler gave up waiting and answered
	// with a deferral, so a later first response becomes an edit.
	autoDeferred bool
}

func newHTTPResponder(rest restResponder) *httpResponder {
	return &httpResponder{
		rest:    rest,
		initial: make(chan *discordgo.InteractionResponse, 1),
		written: make(chan struct{}),
		open:    true,
	}
}

// errResponded is returned by Respond for a second interaction response.
var errResponded = errors.New("interaction already responded to")

func (h *httpResponder) Respond(ctx context.Context, in *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	h.mu.Lock()
	if h.open {
		h.open = false
		h.initial <- resp
		h.mu.Unlock()
		select {
		case <-h.written:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	autoDeferred := h.autoDeferred
	h.autoDeferred = false
	h.mu.Unlock()

	if !autoDeferred {
		return errResponded
	}
	// The handler already sent a deferral: a deferral is then done, and a
	// message becomes the edit of the deferred response.
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data == nil {
		return nil
	}
	return h.rest.EditOriginal(ctx, in, &discordgo.WebhookEdit{
		Content:         &resp.Data.Content,
		Embeds:          &resp.Data.Embeds,
		AllowedMentions: resp.Data.AllowedMentions,
	})
}

// closeWindow marks the HTTP response as written. When no response came in
// time, it returns true and the handler writes a deferral instead.
func (h *httpResponder) closeWindow() (deferred bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open {
		h.open = false
		h.autoDeferred = true
		return true
	}
	return false
}

func (h *httpResponder) EditOriginal(ctx context.Context, in *discordgo.Interaction, edit *discordgo.WebhookEdit) error {
	return h.rest.EditOriginal(ctx, in, edit)
}

func (h *httpResponder) DeleteOriginal(ctx context.Context, in *discordgo.Interaction) error {
	return h.rest.DeleteOriginal(ctx, in)
}

func (h *httpResponder) Followup(ctx context.Context, in *discordgo.Interaction, params *discordgo.WebhookParams) error {
	return h.rest.Followup(ctx, in, params)
}

// StartThread opens a public thread through the REST API.
func (h *httpResponder) StartThread(ctx context.Context, channelID, name string) (string, error) {
	return h.rest.StartThread(ctx, channelID, name)
}

// SendMessage posts a channel message through the REST API.
func (h *httpResponder) SendMessage(ctx context.Context, channelID string, message *discordgo.MessageSend) error {
	return h.rest.SendMessage(ctx, channelID, message)
}
