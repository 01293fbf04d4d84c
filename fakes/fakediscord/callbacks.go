package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Interaction response (callback) types.
const (
	CallbackPong                   = 1
	CallbackChannelMessage         = 4
	CallbackDeferredChannelMessage = 5
	CallbackDeferredUpdateMessage  = 6
	CallbackUpdateMessage          = 7
	CallbackAutocompleteResult     = 8
	CallbackModal                  = 9
	CallbackLaunchActivity         = 12
)

// createFlags are the flags an interaction response or follow-up may set.
const createFlags = FlagSuppressEmbeds | FlagEphemeral | FlagSuppressNotifications | FlagIsComponentsV2

// createInteractionResponse serves POST /interactions/{id}/{token}/callback.
func (s *Server) createInteractionResponse(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	st, ok := s.interactions[c.params["interaction_id"]]
	if !ok || st.payload.Token != c.params["interaction_token"] {
		return 0, nil, errUnknownInteraction()
	}
	if st.callback != nil {
		return 0, nil, errAlreadyAcknowledged()
	}
	if c.now.Sub(st.createdAt) > ResponseDeadline {
		return 0, nil, errUnknownInteraction()
	}

	var body struct {
		Type *int            `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if c.payload == nil || json.Unmarshal(c.payload, &body) != nil || body.Type == nil {
		return 0, nil, errInvalidForm([]fieldError{{path: []string{"type"}, code: "BASE_TYPE_REQUIRED", message: "This field is required"}})
	}
	callbackType := *body.Type
	if !callbackAllowed(st.payload.Type, callbackType) {
		return 0, nil, errInvalidForm([]fieldError{{path: []string{"type"}, code: "INTERACTION_RESPONSE_TYPE_INVALID",
			message: fmt.Sprintf("Response type %d is not valid for an interaction of type %d.", callbackType, st.payload.Type)}})
	}
	if len(c.files) > 0 && callbackType != CallbackChannelMessage && callbackType != CallbackUpdateMessage {
		return 0, nil, errInvalidForm([]fieldError{{path: []string{c.files[0].Field}, code: "FILES_NOT_ALLOWED",
			message: fmt.Sprintf("Response type %d carries no message, so it takes no files.", callbackType)}})
	}

	var message *Message
	var apiErr *apiError
	switch callbackType {
	case CallbackChannelMessage:
		message, apiErr = s.respondWithMessage(st, c, body.Data)
	case CallbackDeferredChannelMessage:
		message, apiErr = s.respondDeferred(st, c, body.Data)
	case CallbackUpdateMessage:
		message, apiErr = s.updateComponentMessage(st, c, body.Data)
	case CallbackAutocompleteResult:
		apiErr = checkChoices(body.Data)
	case CallbackModal:
		apiErr = checkModal(body.Data)
	}
	if apiErr != nil {
		return 0, nil, apiErr
	}

	st.callback = &Callback{Type: callbackType, Time: c.now, Data: body.Data}
	if message != nil && (callbackType == CallbackChannelMessage || callbackType == CallbackDeferredChannelMessage) {
		st.original = message
		if !message.Ephemeral() {
			s.messages[message.ID] = message
		}
	}

	if c.query.Get("with_response") != "true" {
		return http.StatusNoContent, nil, nil
	}
	return http.StatusOK, s.callbackResponse(st, callbackType, message), nil
}

// respondWithMessage makes the original message of a type 4 response.
func (s *Server) respondWithMessage(st *interactionState, c *call, data json.RawMessage) (*Message, *apiError) {
	in, errs := parseMessageInput(data, []string{"data"})
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return nil, apiErr
	}
	m := s.newInteractionMessage(st, c)
	if apiErr := s.applyMessage(m, in, c.files, messageChange{prefix: []string{"data"}, allowedFlags: createFlags}); apiErr != nil {
		return nil, apiErr
	}
	return m, nil
}

// respondDeferred makes the "thinking…" original message of a type 5
// response. Of its data only the ephemeral flag counts.
func (s *Server) respondDeferred(st *interactionState, c *call, data json.RawMessage) (*Message, *apiError) {
	in, errs := parseMessageInput(data, []string{"data"})
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return nil, apiErr
	}
	m := s.newInteractionMessage(st, c)
	m.Flags = FlagLoading
	if in.flags.present && in.flags.value&FlagEphemeral != 0 {
		m.Flags |= FlagEphemeral
	}
	return m, nil
}

// updateComponentMessage applies a type 7 response to the message that
// holds the component.
func (s *Server) updateComponentMessage(st *interactionState, c *call, data json.RawMessage) (*Message, *apiError) {
	var ref struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(st.payload.Message, &ref)
	target, ok := s.messages[ref.ID]
	if !ok {
		return nil, errUnknownMessage()
	}
	in, errs := parseMessageInput(data, []string{"data"})
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return nil, apiErr
	}
	if apiErr := s.applyMessage(target, in, c.files, messageChange{edit: true, prefix: []string{"data"}}); apiErr != nil {
		return nil, apiErr
	}
	target.EditedAt = c.now
	target.Edits++
	return target, nil
}

func (s *Server) newInteractionMessage(st *interactionState, c *call) *Message {
	return &Message{
		ID:            s.ids.next(),
		ChannelID:     st.payload.ChannelID,
		GuildID:       st.payload.GuildID,
		Type:          MessageTypeChatInputCommand,
		AuthorID:      s.opts.BotUserID,
		WebhookID:     s.opts.ApplicationID,
		InteractionID: st.payload.ID,
		CreatedAt:     c.now,
		metadata:      interactionMetadata(st.payload),
	}
}

// callbackResponse is the response body for with_response=true.
func (s *Server) callbackResponse(st *interactionState, callbackType int, message *Message) map[string]any {
	interaction := map[string]any{"id": st.payload.ID, "type": st.payload.Type, "channel_id": st.payload.ChannelID}
	if st.payload.GuildID != "" {
		interaction["guild_id"] = st.payload.GuildID
	}
	out := map[string]any{"interaction": interaction}
	if message == nil {
		return out
	}
	interaction["response_message_id"] = message.ID
	interaction["response_message_loading"] = message.Loading()
	interaction["response_message_ephemeral"] = message.Ephemeral()
	if callbackType == CallbackChannelMessage || callbackType == CallbackUpdateMessage {
		out["resource"] = map[string]any{"type": callbackType, "message": s.renderMessage(*message)}
	}
	return out
}

// checkChoices checks an autocomplete result: at most 25 choices, each
// with a name of 1 to 100 characters.
func checkChoices(data json.RawMessage) *apiError {
	var body struct {
		Choices []struct {
			Name string `json:"name"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return errInvalidForm([]fieldError{{path: []string{"data"}, code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType"}})
	}
	var errs []fieldError
	if len(body.Choices) > 25 {
		errs = append(errs, tooMany([]string{"data", "choices"}, 25))
	}
	for i, choice := range body.Choices {
		errs = append(errs, checkLength([]string{"data", "choices", strconv.Itoa(i), "name"}, choice.Name, 100, true)...)
	}
	return errInvalidForm(errs)
}

// checkModal checks a modal: a custom_id of 1 to 100 characters, a title
// of 1 to 45 and 1 to 5 components.
func checkModal(data json.RawMessage) *apiError {
	var body struct {
		CustomID   string            `json:"custom_id"`
		Title      string            `json:"title"`
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return errInvalidForm([]fieldError{{path: []string{"data"}, code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType"}})
	}
	errs := checkLength([]string{"data", "custom_id"}, body.CustomID, 100, true)
	errs = append(errs, checkLength([]string{"data", "title"}, body.Title, 45, true)...)
	if len(body.Components) == 0 {
		errs = append(errs, fieldError{path: []string{"data", "components"}, code: "BASE_TYPE_REQUIRED", message: "This field is required"})
	}
	if len(body.Components) > 5 {
		errs = append(errs, tooMany([]string{"data", "components"}, 5))
	}
	return errInvalidForm(errs)
}
