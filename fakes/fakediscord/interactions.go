package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Interaction deadlines Discord enforces.
const (
	// ResponseDeadline is how long after an interaction is created its
	// first response may arrive.
	ResponseDeadline = 3 * time.Second
	// TokenLifetime is how long an interaction token works for edits and
	// follow-ups.
	TokenLifetime = 15 * time.Minute
)

// Callback is an accepted interaction response.
type Callback struct {
	Type int
	Time time.Time
	// Data is the response's data object as sent, or nil.
	Data json.RawMessage
}

// InteractionState is the fake's record of one interaction.
type InteractionState struct {
	Interaction Interaction
	// CreatedAt starts the 3-second and 15-minute clocks.
	CreatedAt time.Time
	// Response is the accepted interaction response, or nil.
	Response *Callback
	// Original is the original response message, or nil before a
	// response that makes one and after it is deleted.
	Original        *Message
	OriginalDeleted bool
	// Followups are the follow-up messages, oldest first. The first
	// follow-up after a deferred response replaces the "thinking…"
	// message, as Discord does, and so is Original, not a follow-up.
	Followups []Message
}

type interactionState struct {
	payload         Interaction
	createdAt       time.Time
	callback        *Callback
	original        *Message
	originalDeleted bool
	followups       []*Message
}

func (st *interactionState) snapshot() InteractionState {
	out := InteractionState{
		Interaction:     st.payload,
		CreatedAt:       st.createdAt,
		OriginalDeleted: st.originalDeleted,
	}
	if st.callback != nil {
		cb := *st.callback
		out.Response = &cb
	}
	if st.original != nil {
		m := st.original.clone()
		out.Original = &m
	}
	for _, f := range st.followups {
		out.Followups = append(out.Followups, f.clone())
	}
	return out
}

// Interaction returns the state of an interaction by ID.
func (s *Server) Interaction(id string) (InteractionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.interactions[id]
	if !ok {
		return InteractionState{}, false
	}
	return st.snapshot(), true
}

// WaitResponse waits until the interaction has an accepted response, and
// returns its state.
func (s *Server) WaitResponse(ctx context.Context, id string) (InteractionState, error) {
	for {
		s.mu.Lock()
		st, ok := s.interactions[id]
		changed := s.changed
		var snap InteractionState
		if ok && st.callback != nil {
			snap = st.snapshot()
		}
		s.mu.Unlock()

		if !ok {
			return InteractionState{}, fmt.Errorf("wait for the response to interaction %s: the fake has no such interaction", id)
		}
		if snap.Response != nil {
			return snap, nil
		}
		select {
		case <-ctx.Done():
			return InteractionState{}, fmt.Errorf("wait for the response to interaction %s: %w", id, ctx.Err())
		case <-changed:
		}
	}
}

// RegisterInteraction registers an interaction with the fake without
// sending it over the gateway, as when a test posts it to the bot's HTTP
// interactions endpoint. It fills in an empty ID, token and application
// ID, and the data's command ID from a registered command of that name,
// starts the 3-second clock and returns the interaction as registered.
func (s *Server) RegisterInteraction(in Interaction) (Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registerLocked(in)
}

func (s *Server) registerLocked(in Interaction) (Interaction, error) {
	if in.ID == "" {
		in.ID = s.ids.next()
	}
	if in.Token == "" {
		in.Token = newInteractionToken(in.ID)
	}
	if in.ApplicationID == "" {
		in.ApplicationID = s.opts.ApplicationID
	}
	if _, exists := s.interactions[in.ID]; exists {
		return Interaction{}, fmt.Errorf("register interaction %s: an interaction with this ID exists", in.ID)
	}
	if in.Data != nil {
		data := *in.Data
		if cmd, ok := s.findCommand(in.GuildID, data.Name, data.Type); ok {
			data.ID, data.GuildID = cmd.ID, cmd.GuildID
		}
		in.Data = &data
	}

	st := &interactionState{payload: in, createdAt: s.now()}
	s.interactions[in.ID] = st
	s.byToken[in.Token] = st
	if in.GuildID != "" {
		s.guilds[in.GuildID] = true
	}
	if _, ok := s.channels[in.ChannelID]; !ok && in.ChannelID != "" {
		channel := in.Channel
		channel.Permissions = ""
		s.channels[in.ChannelID] = &channel
	}
	return in, nil
}

// ErrNoSession is returned by Dispatch and SendInteraction when no gateway
// session is connected.
var ErrNoSession = errors.New("fakediscord: no identified gateway session is connected")

// SendInteraction registers an interaction (see RegisterInteraction) and
// dispatches it as INTERACTION_CREATE to the connected sessions. Builders
// set the ID, so Interaction(in.ID) finds its state afterwards.
func (s *Server) SendInteraction(ctx context.Context, in Interaction) error {
	if !s.gateway.hasLiveSession() {
		return ErrNoSession
	}
	registered, err := s.RegisterInteraction(in)
	if err != nil {
		return err
	}
	if err := s.Dispatch(ctx, "INTERACTION_CREATE", registered); err != nil {
		return fmt.Errorf("send interaction %s: %w", registered.ID, err)
	}
	return nil
}

// callbackAllowed reports whether Discord accepts a response type for an
// interaction type.
func callbackAllowed(interactionType, callbackType int) bool {
	var allowed []int
	switch interactionType {
	case InteractionTypePing:
		allowed = []int{1}
	case InteractionTypeApplicationCmd:
		allowed = []int{4, 5, 9, 12}
	case InteractionTypeMessageComponent:
		allowed = []int{4, 5, 6, 7, 9, 12}
	case InteractionTypeAutocomplete:
		allowed = []int{8}
	case InteractionTypeModalSubmit:
		allowed = []int{4, 5, 6, 7, 12}
	}
	return slices.Contains(allowed, callbackType)
}
