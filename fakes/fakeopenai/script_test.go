package fakeopenai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

const generationsPath = "/v1/images/generations"

func generate(ctx context.Context, client *openai.Client) (openai.ImageResponse, error) {
	return client.CreateImage(ctx, openai.ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"})
}

func TestScriptedErrors(t *testing.T) {
	tests := []struct {
		name       string
		step       Step
		wantStatus int
		wantType   string
		wantCode   string
		wantHeader map[string]string
	}{
		{
			name: "moderation blocked", step: ModerationBlocked(),
			wantStatus: http.StatusBadRequest, wantType: "image_generation_user_error", wantCode: "moderation_blocked",
		},
		{
			name: "rate limited", step: RateLimited(1500 * time.Millisecond),
			wantStatus: http.StatusTooManyRequests, wantType: "requests", wantCode: "rate_limit_exceeded",
			wantHeader: map[string]string{
				"Retry-After":                    "2",
				"Retry-After-Ms":                 "1500",
				"X-Ratelimit-Remaining-Requests": "0",
				"X-Ratelimit-Reset-Requests":     "1.5s",
			},
		},
		{
			name: "insufficient quota", step: InsufficientQuota(),
			wantStatus: http.StatusTooManyRequests, wantType: "insufficient_quota", wantCode: "insufficient_quota",
		},
		{
			name: "custom failure", step: Fail(http.StatusServiceUnavailable, "server_error", "overloaded", "try later"),
			wantStatus: http.StatusServiceUnavailable, wantType: "server_error", wantCode: "overloaded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{})
			client := newClient(s)
			s.Script(generationsPath, tc.step)

			_, err := generate(t.Context(), client)
			apiErr := apiError(t, err)
			if apiErr.HTTPStatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", apiErr.HTTPStatusCode, tc.wantStatus)
			}
			if apiErr.Type != tc.wantType {
				t.Errorf("type = %q, want %q", apiErr.Type, tc.wantType)
			}
			if apiErr.Code != tc.wantCode {
				t.Errorf("code = %v, want %q", apiErr.Code, tc.wantCode)
			}

			requests := s.Requests()
			if len(requests) != 1 {
				t.Fatalf("recorded %d requests, want 1", len(requests))
			}
			// go-openai's APIError carries no headers, so send the same step
			// again over plain HTTP to check them.
			if tc.wantHeader != nil {
				s.Script(generationsPath, tc.step)
				res := postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"x"}`)
				for name, want := range tc.wantHeader {
					if got := res.header.Get(name); got != want {
						t.Errorf("header %s = %q, want %q", name, got, want)
					}
				}
			}

			// The queue is empty again, so the next request succeeds.
			if _, err := generate(t.Context(), client); err != nil {
				t.Errorf("request after the scripted step: %v", err)
			}
		})
	}
}

func TestScriptedHTMLServerError(t *testing.T) {
	s := newServer(t, Options{})
	s.Script(generationsPath, ServerErrorHTML(http.StatusBadGateway))

	_, err := generate(t.Context(), newClient(s))
	var reqErr *openai.RequestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("error %v (%T) is not an *openai.RequestError", err, err)
	}
	if reqErr.HTTPStatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502", reqErr.HTTPStatusCode)
	}
	if !strings.Contains(string(reqErr.Body), "<h1>502 Bad Gateway</h1>") {
		t.Errorf("body = %q, want an HTML page", reqErr.Body)
	}

	s.Script(generationsPath, ServerErrorHTML(http.StatusServiceUnavailable))
	res := postJSON(t, s, generationsPath, `{"model":"gpt-image-2","prompt":"x"}`)
	if got := res.header.Get("Content-Type"); got != "text/html" {
		t.Errorf("Content-Type = %q, want text/html", got)
	}
}

func TestScriptedDropConnection(t *testing.T) {
	s := newServer(t, Options{})
	s.Script(generationsPath, DropConnection())

	_, err := generate(t.Context(), newClient(s))
	if err == nil {
		t.Fatal("CreateImage() error = nil, want a transport error")
	}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	if errors.As(err, &apiErr) || errors.As(err, &reqErr) {
		t.Errorf("error %v is an HTTP answer, want a dropped connection", err)
	}

	requests := s.Requests()
	if len(requests) == 0 {
		t.Fatal("no request recorded")
	}
	first := requests[0]
	if !first.Dropped || first.Status != 0 {
		t.Errorf("first request Dropped = %v, Status = %d, want dropped with status 0", first.Dropped, first.Status)
	}
	if first.JSON["prompt"] != "a red cube" {
		t.Errorf("recorded prompt = %v, want the request read in full before the drop", first.JSON["prompt"])
	}
}

func TestScriptedDelay(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)

	s.Script(generationsPath, Delay(150*time.Millisecond))
	start := time.Now()
	if _, err := generate(t.Context(), client); err != nil {
		t.Fatalf("CreateImage() error = %v", err)
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("answer took %v, want at least the 150ms delay", elapsed)
	}

	s.Script(generationsPath, ModerationBlocked().After(100*time.Millisecond))
	start = time.Now()
	_, err := generate(t.Context(), client)
	if code := apiError(t, err).Code; code != "moderation_blocked" {
		t.Errorf("code = %v, want moderation_blocked", code)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Errorf("answer took %v, want at least the 100ms delay", elapsed)
	}
}

func TestScriptedDelayHonoursCancel(t *testing.T) {
	s := newServer(t, Options{})
	s.Script(generationsPath, Delay(5*time.Second))

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := generate(ctx, newClient(s))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateImage() error = %v, want context.DeadlineExceeded", err)
	}

	waitCtx, waitCancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer waitCancel()
	requests, err := s.WaitRequests(waitCtx, 1)
	if err != nil {
		t.Fatalf("WaitRequests() error = %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("the server held the request for %v after the client left, want it released at once", elapsed)
	}
	if !requests[0].Canceled || requests[0].Status != 0 {
		t.Errorf("request Canceled = %v, Status = %d, want canceled with status 0", requests[0].Canceled, requests[0].Status)
	}
}

func TestScriptQueuesPerPathInOrder(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)
	s.Script(generationsPath, RateLimited(0), InsufficientQuota())

	// Another path does not consume the queue.
	if _, err := client.ListModels(t.Context()); err != nil {
		t.Fatalf("ListModels() error = %v", err)
	}

	var codes []any
	for range 3 {
		_, err := generate(t.Context(), client)
		if err == nil {
			codes = append(codes, nil)
			continue
		}
		codes = append(codes, apiError(t, err).Code)
	}
	want := []any{"rate_limit_exceeded", "insufficient_quota", nil}
	for i := range want {
		if codes[i] != want[i] {
			t.Errorf("request %d code = %v, want %v", i, codes[i], want[i])
		}
	}
}

func TestInvalidRequestDoesNotTakeStep(t *testing.T) {
	s := newServer(t, Options{})
	s.Script(generationsPath, ModerationBlocked())

	res := postJSON(t, s, generationsPath, `{"model":"gpt-image-2"}`)
	checkError(t, res, wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "prompt", code: "missing_required_parameter"})

	res = send(t, s, http.MethodPost, generationsPath, "application/json", []byte(`{"model":"gpt-image-2","prompt":"x"}`))
	if res.status != http.StatusBadRequest || decodeError(t, res.body).Type != "image_generation_user_error" {
		t.Errorf("second request status = %d, body %s, want the scripted moderation block", res.status, res.body)
	}
}

func TestMaxInFlight(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)
	const concurrent = 5
	for range concurrent {
		s.Script(generationsPath, Delay(200*time.Millisecond))
	}

	var wg sync.WaitGroup
	errs := make(chan error, concurrent)
	for range concurrent {
		wg.Go(func() {
			_, err := generate(t.Context(), client)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("CreateImage() error = %v", err)
		}
	}

	if got := s.MaxInFlight(); got != concurrent {
		t.Errorf("MaxInFlight() = %d, want %d", got, concurrent)
	}
	if got := s.InFlight(); got != 0 {
		t.Errorf("InFlight() = %d after all answers, want 0", got)
	}
}
