package fakeopenai

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

func TestValidationAcceptsValidCalls(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	client := newClient(s)

	formats := []string{"png", "jpeg", "webp"}
	for _, format := range formats {
		_, err := client.CreateImage(t.Context(), openai.ImageRequest{
			Model: "gpt-image-2", Prompt: "a red cube", N: 2, Size: "1024x1536", Quality: "low", OutputFormat: format,
		})
		if err != nil {
			t.Errorf("CreateImage(%s) error = %v", format, err)
		}
	}
	if _, err := client.ListModels(t.Context()); err != nil {
		t.Errorf("ListModels() error = %v", err)
	}
	if _, err := client.GetModel(t.Context(), "gpt-image-2"); err != nil {
		t.Errorf("GetModel() error = %v", err)
	}
}

func TestValidationRejectsBadRequest(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	tests := []struct {
		name      string
		body      string
		wantField string
	}{
		{name: "n above maximum", body: `{"model":"gpt-image-2","prompt":"x","n":11}`, wantField: "$.n"},
		{name: "user not a string", body: `{"model":"gpt-image-2","prompt":"x","user":5}`, wantField: "$.user"},
		{name: "prompt missing", body: `{"model":"gpt-image-2"}`, wantField: "prompt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := postJSON(t, s, generationsPath, tc.body)
			checkError(t, res, wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "<null>", code: "spec_validation_failed"})
			if msg := decodeError(t, res.body).Message; !strings.Contains(msg, tc.wantField) {
				t.Errorf("message %q does not name %s", msg, tc.wantField)
			}
		})
	}
}

func TestValidationCatchesBadReply(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	r := httptest.NewRequest(http.MethodPost, generationsPath, nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	w := httptest.NewRecorder()

	status := s.write(w, r, true, reply{status: http.StatusOK, value: imagesBody{Created: 1, Size: "999x999"}})
	if status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", status)
	}
	var got errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	if deref(got.Error.Code) != "fake_response_invalid" || !strings.Contains(got.Error.Message, "$.size") {
		t.Errorf("error = %+v, want fake_response_invalid naming $.size", got.Error)
	}
}
