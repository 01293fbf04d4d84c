package fakeopenai

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Model is one entry of GET /v1/models.
type Model struct {
	ID      string
	OwnedBy string
	// Created is the model's creation time. The zero time is sent as
	// 2023-06-16 16:50:02 UTC, a fixed value so that responses are
	// reproducible.
	Created time.Time
	// ShutdownDate is the announced shutdown day as YYYY-MM-DD, or empty
	// when none is announced (sent as null).
	ShutdownDate string
}

// defaultCreated is the created time of models that set none.
const defaultCreated = 1686934202

// DefaultModels returns the models a Server offers when Options.Models is
// nil: the GPT image models gpt-image-2, gpt-image-1.5 and gpt-image-1-mini,
// dall-e-2 for variations, and the chat model gpt-5-mini.
func DefaultModels() []Model {
	return []Model{
		{ID: "gpt-image-2", OwnedBy: "system"},
		{ID: "gpt-image-1.5", OwnedBy: "system"},
		{ID: "gpt-image-1-mini", OwnedBy: "system"},
		{ID: "dall-e-2", OwnedBy: "system"},
		{ID: "gpt-5-mini", OwnedBy: "system"},
	}
}

// checkModels rejects an empty ID, a duplicate ID or a shutdown date that is
// not YYYY-MM-DD.
func checkModels(models []Model) error {
	seen := make(map[string]bool, len(models))
	for _, m := range models {
		if m.ID == "" {
			return errors.New("a model has an empty ID")
		}
		if seen[m.ID] {
			return fmt.Errorf("model %s is listed twice", m.ID)
		}
		seen[m.ID] = true
		if m.ShutdownDate != "" {
			if _, err := time.Parse(time.DateOnly, m.ShutdownDate); err != nil {
				return fmt.Errorf("model %s: shutdown date %q is not YYYY-MM-DD: %w", m.ID, m.ShutdownDate, err)
			}
		}
	}
	return nil
}

// modelBody is the JSON form of a Model.
type modelBody struct {
	ID           string  `json:"id"`
	Object       string  `json:"object"`
	Created      int64   `json:"created"`
	OwnedBy      string  `json:"owned_by"`
	ShutdownDate *string `json:"shutdown_date"`
}

func (m Model) body() modelBody {
	created := int64(defaultCreated)
	if !m.Created.IsZero() {
		created = m.Created.Unix()
	}
	return modelBody{ID: m.ID, Object: "model", Created: created, OwnedBy: m.OwnedBy, ShutdownDate: nullable(m.ShutdownDate)}
}

type modelListBody struct {
	Object string      `json:"object"`
	Data   []modelBody `json:"data"`
}

func (s *Server) listModels(x *exchange) reply {
	if rep, ok := x.scripted(); ok {
		return rep
	}
	list := modelListBody{Object: "list", Data: make([]modelBody, 0, len(s.models))}
	for _, m := range s.models {
		list.Data = append(list.Data, m.body())
	}
	return reply{status: http.StatusOK, value: list}
}

func (s *Server) retrieveModel(x *exchange) reply {
	m, ok := s.findModel(x.r.PathValue("model"))
	if !ok {
		return modelNotFound(x.r.PathValue("model"))
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}
	return reply{status: http.StatusOK, value: m.body()}
}

func (s *Server) findModel(id string) (Model, bool) {
	for _, m := range s.models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// isGPTImageModel reports whether id names a GPT image model, which returns
// base64 data, rejects response_format and reports token usage.
func isGPTImageModel(id string) bool {
	return strings.HasPrefix(id, "gpt-image-") || id == "chatgpt-image-latest"
}
