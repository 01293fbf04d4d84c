package openaiclient

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckModels(t *testing.T) {
	server := newScriptedServer(t, reply{status: http.StatusOK, body: `{"object":"list","data":[
		{"id":"gpt-image-2","object":"model","created":1686935002,"owned_by":"system"},
		{"id":"gpt-image-1","object":"model","created":1686935002,"owned_by":"system","shutdown_date":"2026-12-01"},
		{"id":"gpt-5-mini","object":"model","created":1686935002,"owned_by":"system","shutdown_date":null}
	]}`})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.CheckModels(context.Background(), []string{"gpt-image-1", "gpt-image-2", "dall-e-2", "gpt-5-mini"})
	if err != nil {
		t.Fatalf("CheckModels: %v", err)
	}

	want := []ModelStatus{
		{ID: "gpt-image-1", Exists: true, ShutdownDate: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "gpt-image-2", Exists: true},
		{ID: "dall-e-2", Exists: false},
		{ID: "gpt-5-mini", Exists: true},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("statuses mismatch (-got +want):\n%s", diff)
	}
	requests := server.received()
	if len(requests) != 1 || requests[0].Method != http.MethodGet || requests[0].Path != "/v1/models" {
		t.Fatalf("requests = %+v, want one GET /v1/models", requests)
	}
	if auth := requests[0].Header.Get("Authorization"); auth != "Bearer "+testAPIKey {
		t.Errorf("Authorization = %q, want the bearer key", auth)
	}
}

func TestParseShutdownDate(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    time.Time
		wantErr bool
	}{
		{name: "absent", raw: ""},
		{name: "null", raw: "null"},
		{name: "empty string", raw: `""`},
		{name: "date", raw: `"2026-10-23"`, want: time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC)},
		{name: "RFC 3339 time", raw: `"2026-10-23T12:00:00+02:00"`, want: time.Date(2026, 10, 23, 10, 0, 0, 0, time.UTC)},
		{name: "Unix seconds", raw: `1792713600`, want: time.Unix(1792713600, 0).UTC()},
		{name: "prose", raw: `"next year"`, wantErr: true},
		{name: "object", raw: `{"day":1}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseShutdownDate([]byte(tt.raw))

			if (err != nil) != tt.wantErr {
				t.Fatalf("parseShutdownDate(%s) error = %v, want error %t", tt.raw, err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parseShutdownDate(%s) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestCheckModelsInvalidShutdownDate(t *testing.T) {
	server := newScriptedServer(t, reply{status: http.StatusOK, body: `{"object":"list","data":[{"id":"m","shutdown_date":"soon"}]}`})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	_, err := client.CheckModels(context.Background(), []string{"m"})

	if got := Classify(err); got != FailureUnknownOutcome {
		t.Errorf("Classify(%v) = %s, want unknown_outcome", err, got)
	}
}
