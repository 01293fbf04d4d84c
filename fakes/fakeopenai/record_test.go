package fakeopenai

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRequestsRecorded(t *testing.T) {
	s := newServer(t, Options{})
	postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"a red cube","n":2}`)
	postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"x","n":0}`)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	requests, err := s.WaitRequests(ctx, 2)
	if err != nil {
		t.Fatalf("WaitRequests() error = %v", err)
	}
	if len(requests) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(requests))
	}

	first := requests[0]
	if first.Method != http.MethodPost || first.Path != generationsPath {
		t.Errorf("first request = %s %s, want POST %s", first.Method, first.Path, generationsPath)
	}
	if first.Status != http.StatusOK {
		t.Errorf("first status = %d, want 200", first.Status)
	}
	wantJSON := map[string]any{"model": "gpt-image-2", "prompt": "a red cube", "n": float64(2)}
	if diff := cmp.Diff(first.JSON, wantJSON); diff != "" {
		t.Errorf("first JSON mismatch (-got +want):\n%s", diff)
	}
	if got := first.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("recorded Authorization = %q, want the bearer key", got)
	}
	if !requestIDPattern.MatchString(first.RequestID) {
		t.Errorf("RequestID = %q, want req_ and 32 hex digits", first.RequestID)
	}
	if first.Time.IsZero() {
		t.Error("Time is zero")
	}
	if requests[1].Status != http.StatusBadRequest {
		t.Errorf("second status = %d, want 400", requests[1].Status)
	}
}

func TestWaitRequestsTimesOut(t *testing.T) {
	s := newServer(t, Options{})
	postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"x"}`)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := s.WaitRequests(ctx, 2)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitRequests() error = %v, want context.DeadlineExceeded", err)
	}
}

func TestWaitRequestsWakesOnArrival(t *testing.T) {
	s := newServer(t, Options{})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := s.WaitRequests(ctx, 1)
		done <- err
	}()

	time.Sleep(20 * time.Millisecond)
	postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"x"}`)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WaitRequests() error = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WaitRequests() did not return after the request finished")
	}
}
