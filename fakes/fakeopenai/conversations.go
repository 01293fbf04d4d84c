package fakeopenai

import (
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"
)

// conversation is a conversation created with POST /v1/conversations.
// Its fields are guarded by Server.mu.
type conversation struct {
	items []item
	// busy is set while a response in the conversation is being produced.
	busy bool
}

// conversationBody is the JSON form of a conversation.
type conversationBody struct {
	ID        string            `json:"id"`
	Object    string            `json:"object"`
	CreatedAt int64             `json:"created_at"`
	Metadata  map[string]string `json:"metadata"`
}

// Limits of conversation metadata and initial items, from OpenAI's API
// reference (openai-openapi commit f85dbe2).
const (
	maxMetadataPairs       = 16
	maxMetadataKeyRunes    = 64
	maxMetadataValueRunes  = 512
	maxConversationItems   = 20
	conversationItemsParam = "items"
)

// createConversation serves POST /v1/conversations.
func (s *Server) createConversation(x *exchange) reply {
	var p *params
	if len(x.record.Body) == 0 {
		p = &params{json: map[string]json.RawMessage{}}
	} else {
		var rep reply
		var ok bool
		if p, rep, ok = jsonParams(x, []string{"items", "metadata"}); !ok {
			return rep
		}
	}

	metadata, rep, ok := readMetadata(p)
	if !ok {
		return rep
	}
	var items []item
	if raw, _, present := p.raw(conversationItemsParam); present {
		if items, rep, ok = parseInput(raw, conversationItemsParam); !ok {
			return rep
		}
		if len(items) > maxConversationItems {
			return invalidRequest(conversationItemsParam, "array_above_max_length",
				"Invalid 'items': array too long. Expected an array with maximum length %d, but got %d items instead.",
				maxConversationItems, len(items))
		}
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}

	id := "conv_" + randomHex(24)
	s.mu.Lock()
	s.conversations[id] = &conversation{items: items}
	s.mu.Unlock()
	return reply{status: http.StatusOK, value: conversationBody{
		ID:        id,
		Object:    "conversation",
		CreatedAt: time.Now().Unix(),
		Metadata:  metadata,
	}}
}

// readMetadata reads the optional metadata object and checks its limits.
// It returns an empty map when metadata is absent.
func readMetadata(p *params) (map[string]string, reply, bool) {
	metadata := map[string]string{}
	raw, _, present := p.raw("metadata")
	if !present {
		return metadata, reply{}, true
	}
	if err := json.Unmarshal(raw, &metadata); err != nil {
		return nil, invalidType("metadata", "an object of strings", raw), false
	}
	if len(metadata) > maxMetadataPairs {
		return nil, invalidRequest("metadata", "object_above_max_properties",
			"Invalid 'metadata': too many properties. Expected at most %d, but got %d.", maxMetadataPairs, len(metadata)), false
	}
	for key, value := range metadata {
		if utf8.RuneCountInString(key) > maxMetadataKeyRunes || utf8.RuneCountInString(value) > maxMetadataValueRunes {
			return nil, invalidRequest("metadata", "string_above_max_length",
				"Invalid 'metadata': keys are limited to %d characters and values to %d, but key '%s' exceeds a limit.",
				maxMetadataKeyRunes, maxMetadataValueRunes, key), false
		}
	}
	return metadata, reply{}, true
}
