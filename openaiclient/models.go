package openaiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ModelStatus is whether the server offers a configured model, and its
// announced shutdown date.
type ModelStatus struct {
	ID     string
	Exists bool
	// ShutdownDate is the announced shutdown day (UTC midnight), or the
	// zero time when the server announces none.
	ShutdownDate time.Time
}

// modelListBody is the GET /models response with the shutdown_date field
// that go-openai v1.43.0's Model type drops.
type modelListBody struct {
	Data []struct {
		ID           string          `json:"id"`
		ShutdownDate json.RawMessage `json:"shutdown_date"`
	} `json:"data"`
}

// CheckModels lists the server's models with GET /models, through the
// adapter, and returns one status for each of ids, in order. Errors are
// *Error; a shutdown date in an unknown format is FailureUnknownOutcome.
func (c *Client) CheckModels(ctx context.Context, ids []string) ([]ModelStatus, error) {
	const operation = "GET /models"
	var body modelListBody
	record, err := c.run(ctx, operation, func(ctx context.Context) error {
		return c.sendRaw(ctx, http.MethodGet, "/models", "", nil, &body)
	})
	if err != nil {
		return nil, err
	}

	listed := make(map[string]time.Time, len(body.Data))
	for _, model := range body.Data {
		shutdown, err := parseShutdownDate(model.ShutdownDate)
		if err != nil {
			return nil, undecodable(operation, record, fmt.Errorf("model %s: %w", model.ID, err))
		}
		listed[model.ID] = shutdown
	}

	statuses := make([]ModelStatus, len(ids))
	for i, id := range ids {
		shutdown, ok := listed[id]
		statuses[i] = ModelStatus{ID: id, Exists: ok, ShutdownDate: shutdown}
	}
	return statuses, nil
}

// parseShutdownDate reads shutdown_date, which the API reference gives as
// a date ("2026-10-23") or null. Compatible servers may send a full
// RFC 3339 time or Unix seconds instead, so those are accepted too.
func parseShutdownDate(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		seconds, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid shutdown_date %s: want a date string", raw)
		}
		return time.Unix(seconds, 0).UTC(), nil
	}
	if text == "" {
		return time.Time{}, nil
	}
	if day, err := time.Parse(time.DateOnly, text); err == nil {
		return day, nil
	}
	if moment, err := time.Parse(time.RFC3339, text); err == nil {
		return moment.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid shutdown_date %q: want YYYY-MM-DD", text)
}
