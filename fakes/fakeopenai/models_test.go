package fakeopenai

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestListModels(t *testing.T) {
	s := newServer(t, Options{Models: []Model{
		{ID: "gpt-image-2", OwnedBy: "system"},
		{ID: "gpt-image-1", OwnedBy: "system", ShutdownDate: "2026-12-01", Created: time.Unix(1700000000, 0)},
	}})

	list, err := newClient(s).ListModels(t.Context())
	if err != nil {
		t.Fatalf("ListModels() error = %v", err)
	}
	var ids []string
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff(ids, []string{"gpt-image-2", "gpt-image-1"}); diff != "" {
		t.Errorf("model IDs mismatch (-got +want):\n%s", diff)
	}

	// go-openai v1.43.0 drops shutdown_date, so read the raw body.
	res := send(t, s, http.MethodGet, "/v1/models", "", nil)
	var got modelListBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode model list: %v", err)
	}
	shutdown := "2026-12-01"
	want := modelListBody{Object: "list", Data: []modelBody{
		{ID: "gpt-image-2", Object: "model", Created: defaultCreated, OwnedBy: "system"},
		{ID: "gpt-image-1", Object: "model", Created: 1700000000, OwnedBy: "system", ShutdownDate: &shutdown},
	}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("model list mismatch (-got +want):\n%s", diff)
	}
	if !strings.Contains(string(res.body), `"shutdown_date":null`) {
		t.Errorf("body %s does not send a missing shutdown date as null", res.body)
	}
}

func TestRetrieveModel(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)

	m, err := client.GetModel(t.Context(), "gpt-image-2")
	if err != nil {
		t.Fatalf("GetModel() error = %v", err)
	}
	if m.ID != "gpt-image-2" || m.Object != "model" {
		t.Errorf("model = %+v, want id gpt-image-2 and object model", m)
	}

	_, err = client.GetModel(t.Context(), "dall-e-3")
	apiErr := apiError(t, err)
	if apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", apiErr.HTTPStatusCode)
	}
	if apiErr.Code != "model_not_found" {
		t.Errorf("code = %v, want model_not_found", apiErr.Code)
	}
}

func TestNewRejectsBadModels(t *testing.T) {
	tests := []struct {
		name   string
		models []Model
	}{
		{name: "empty ID", models: []Model{{ID: ""}}},
		{name: "duplicate ID", models: []Model{{ID: "a"}, {ID: "a"}}},
		{name: "bad shutdown date", models: []Model{{ID: "a", ShutdownDate: "01/12/2026"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Models: tc.models})
			if err == nil {
				_ = s.Close()
				t.Fatal("New() error = nil, want an error")
			}
		})
	}
}

func TestEmptyModelListRejectsEveryModel(t *testing.T) {
	s := newServer(t, Options{Models: []Model{}})
	res := postJSON(t, s, "/v1/images/generations", `{"model":"gpt-image-2","prompt":"x"}`)
	checkError(t, res, wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found"})

	res = send(t, s, http.MethodGet, "/v1/models", "", nil)
	if got := string(res.body); got != `{"object":"list","data":[]}` {
		t.Errorf("model list = %s, want an empty list", got)
	}
}
