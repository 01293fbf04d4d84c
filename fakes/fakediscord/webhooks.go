package fakediscord

import (
	"net/http"
)

// interactionWebhook finds the interaction behind a webhook route
// (/webhooks/{application_id}/{interaction_token}/...) and checks that its
// token works now. The caller holds s.mu.
//
// Discord's documentation lists no error codes for these cases, so the
// responses follow what bot developers report Discord sends:
//   - a webhook ID that is not the application's: Unknown Webhook (404, 10015)
//   - an unknown token, or one older than 15 minutes: Invalid Webhook Token
//     (401, 50027)
//   - a token whose interaction has no response yet: Unknown Webhook (404,
//     10015). NOTE: this one is an assumption, based on Discord creating
//     the webhook only with the response.
func (s *Server) interactionWebhook(c *call) (*interactionState, *apiError) {
	if c.params["webhook_id"] != s.opts.ApplicationID {
		return nil, errUnknownWebhook()
	}
	st, ok := s.byToken[c.params["webhook_token"]]
	if !ok || c.now.Sub(st.createdAt) > TokenLifetime {
		return nil, errInvalidWebhookToken()
	}
	if st.callback == nil {
		return nil, errUnknownWebhook()
	}
	return st, nil
}

// getOriginal serves GET .../messages/@original.
func (s *Server) getOriginal(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	if st.original == nil {
		return 0, nil, errUnknownMessage()
	}
	return http.StatusOK, s.renderMessage(*st.original), nil
}

// editOriginal serves PATCH .../messages/@original. The first edit of a
// deferred response replaces "thinking…".
func (s *Server) editOriginal(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	if st.original == nil {
		return 0, nil, errUnknownMessage()
	}
	return s.editWebhookMessage(st.original, c)
}

// deleteOriginal serves DELETE .../messages/@original.
func (s *Server) deleteOriginal(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	if st.original == nil {
		return 0, nil, errUnknownMessage()
	}
	delete(s.messages, st.original.ID)
	st.original = nil
	st.originalDeleted = true
	return http.StatusNoContent, nil, nil
}

// createFollowup serves POST /webhooks/{application_id}/{token}. Discord
// returns the message of an interaction follow-up whatever wait is, and
// so does the fake. After a deferred response that has not been edited,
// the follow-up replaces the "thinking…" message and keeps its ephemeral
// flag, as on Discord.
func (s *Server) createFollowup(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	in, errs := parseMessageInput(c.payload, nil)
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}

	if st.original != nil && st.original.Loading() {
		next := st.original.clone()
		if apiErr := s.applyMessage(&next, in, c.files, messageChange{allowedFlags: createFlags}); apiErr != nil {
			return 0, nil, apiErr
		}
		next.Flags = next.Flags&^(FlagLoading|FlagEphemeral) | st.original.Flags&FlagEphemeral
		*st.original = next
		return http.StatusOK, s.renderMessage(next), nil
	}

	m := s.newInteractionMessage(st, c)
	if apiErr := s.applyMessage(m, in, c.files, messageChange{allowedFlags: createFlags}); apiErr != nil {
		return 0, nil, apiErr
	}
	st.followups = append(st.followups, m)
	if !m.Ephemeral() {
		s.messages[m.ID] = m
	}
	return http.StatusOK, s.renderMessage(*m), nil
}

// webhookMessage finds a message of the interaction by ID: a follow-up,
// or the original response under its own ID.
func (st *interactionState) webhookMessage(id string) (*Message, int) {
	if st.original != nil && st.original.ID == id {
		return st.original, -1
	}
	for i, m := range st.followups {
		if m.ID == id {
			return m, i
		}
	}
	return nil, -1
}

// getFollowup serves GET .../messages/{message_id}.
func (s *Server) getFollowup(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	m, _ := st.webhookMessage(c.params["message_id"])
	if m == nil {
		return 0, nil, errUnknownMessage()
	}
	return http.StatusOK, s.renderMessage(*m), nil
}

// editFollowup serves PATCH .../messages/{message_id}.
func (s *Server) editFollowup(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	m, _ := st.webhookMessage(c.params["message_id"])
	if m == nil {
		return 0, nil, errUnknownMessage()
	}
	return s.editWebhookMessage(m, c)
}

// deleteFollowup serves DELETE .../messages/{message_id}.
func (s *Server) deleteFollowup(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.interactionWebhook(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	m, index := st.webhookMessage(c.params["message_id"])
	if m == nil {
		return 0, nil, errUnknownMessage()
	}
	delete(s.messages, m.ID)
	if index < 0 {
		st.original = nil
		st.originalDeleted = true
	} else {
		st.followups = append(st.followups[:index], st.followups[index+1:]...)
	}
	return http.StatusNoContent, nil, nil
}

// editWebhookMessage applies an edit body to m and responds with the
// message. The caller holds s.mu.
func (s *Server) editWebhookMessage(m *Message, c *call) (int, any, *apiError) {
	in, errs := parseMessageInput(c.payload, nil)
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}
	next := m.clone()
	if apiErr := s.applyMessage(&next, in, c.files, messageChange{edit: true}); apiErr != nil {
		return 0, nil, apiErr
	}
	next.Flags &^= FlagLoading
	next.EditedAt = c.now
	next.Edits++
	*m = next
	return http.StatusOK, s.renderMessage(next), nil
}
