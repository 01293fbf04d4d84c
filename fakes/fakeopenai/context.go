package fakeopenai

import (
	"encoding/json"
	"net/http"
	"slices"
)

// lockContext returns the items a response continues from: the
// conversation's items, or every item up to the previous response, or
// none. It marks the conversation busy until unlockContext.
//
// NOTE: the fake rejects a second response in a busy conversation with a
// 400 conversation_locked. That status and code are the fake's choice, not
// taken from the real service.
func (s *Server) lockContext(req responseRequest) ([]item, reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	switch {
	case req.conversationID != "":
		c, ok := s.conversations[req.conversationID]
		if !ok {
			return nil, errorReply(http.StatusNotFound, APIError{
				Message: "Conversation with id '" + req.conversationID + "' not found.",
				Type:    typeInvalidRequest,
				Param:   "conversation",
				Code:    "conversation_not_found",
			}), false
		}
		if c.busy {
			return nil, invalidRequest("conversation", "conversation_locked",
				"Another response is in progress in conversation '%s'. Retry after it completes.", req.conversationID), false
		}
		c.busy = true
		return slices.Clone(c.items), reply{}, true
	case req.previousID != "":
		items, ok := s.responses[req.previousID]
		if !ok {
			return nil, errorReply(http.StatusNotFound, APIError{
				Message: "Previous response with id '" + req.previousID + "' not found.",
				Type:    typeInvalidRequest,
				Param:   "previous_response_id",
				Code:    "previous_response_not_found",
			}), false
		}
		return slices.Clone(items), reply{}, true
	}
	return nil, reply{}, true
}

// unlockContext ends what lockContext started.
func (s *Server) unlockContext(req responseRequest) {
	if req.conversationID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conversations[req.conversationID].busy = false
}

// storeOutcome keeps items, the whole context after a response, for later
// responses that name the response or its conversation.
func (s *Server) storeOutcome(req responseRequest, responseID string, items []item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responses[responseID] = items
	if req.conversationID != "" {
		s.conversations[req.conversationID].items = items
	}
}

// responseBody is the JSON form of a Responses API response.
type responseBody struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	CompletedAt        *int64             `json:"completed_at"`
	Status             string             `json:"status"`
	Error              *struct{}          `json:"error"`
	IncompleteDetails  *incompleteDetails `json:"incomplete_details"`
	Instructions       *string            `json:"instructions"`
	Model              string             `json:"model"`
	Output             []outputItem       `json:"output"`
	Tools              []json.RawMessage  `json:"tools"`
	ToolChoice         string             `json:"tool_choice"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	Metadata           map[string]string  `json:"metadata"`
	Temperature        float64            `json:"temperature"`
	TopP               float64            `json:"top_p"`
	Conversation       *conversationRef   `json:"conversation"`
	PreviousResponseID *string            `json:"previous_response_id"`
	SafetyIdentifier   *string            `json:"safety_identifier"`
	Usage              responseUsage      `json:"usage"`
}

type incompleteDetails struct {
	Reason string `json:"reason"`
}

type conversationRef struct {
	ID string `json:"id"`
}

// outputItem is a message or a function call in a response's output.
type outputItem struct {
	Type      string       `json:"type"`
	ID        string       `json:"id"`
	Status    string       `json:"status"`
	Role      string       `json:"role,omitempty"`
	Content   []outputText `json:"content,omitempty"`
	CallID    string       `json:"call_id,omitempty"`
	Name      string       `json:"name,omitempty"`
	Arguments *string      `json:"arguments,omitempty"`
}

type outputText struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
	Logprobs    []any  `json:"logprobs"`
}

type responseUsage struct {
	InputTokens         int                `json:"input_tokens"`
	InputTokensDetails  inputTokenDetails  `json:"input_tokens_details"`
	OutputTokens        int                `json:"output_tokens"`
	OutputTokensDetails outputTokenDetails `json:"output_tokens_details"`
	TotalTokens         int                `json:"total_tokens"`
}

type inputTokenDetails struct {
	CachedTokens     int `json:"cached_tokens"`
	CacheWriteTokens int `json:"cache_write_tokens"`
}

type outputTokenDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}
