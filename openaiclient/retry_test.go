package openaiclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	rateLimitBody  = `{"error":{"message":"Rate limit reached.","type":"requests","code":"rate_limit_exceeded"}}`
	quotaBody      = `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","code":"insufficient_quota"}}`
	moderationBody = `{"error":{"message":"Rejected by the safety system.","type":"image_generation_user_error","code":"moderation_blocked"}}`
	overloadedBody = `<html><body>503 Service Unavailable</body></html>`
)

func TestRetries(t *testing.T) {
	success := func(t *testing.T) reply {
		return reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, false))}
	}
	rateLimited := func(header map[string]string) reply {
		return reply{status: http.StatusTooManyRequests, body: rateLimitBody, header: header}
	}
	tests := []struct {
		name         string
		replies      func(t *testing.T) []reply
		cfg          Config
		wantAttempts int
		wantFailure  Failure
		// wantDelays lists exact delays; nil means check wantDelayRanges.
		wantDelays      []time.Duration
		wantDelayRanges [][2]time.Duration
	}{
		{
			name: "rate limit twice then success",
			replies: func(t *testing.T) []reply {
				return []reply{rateLimited(nil), rateLimited(nil), success(t)}
			},
			wantAttempts:    3,
			wantFailure:     FailureNone,
			wantDelayRanges: [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}},
		},
		{
			name: "service unavailable then success",
			replies: func(t *testing.T) []reply {
				return []reply{{status: http.StatusServiceUnavailable, body: overloadedBody, header: map[string]string{"Content-Type": "text/html"}}, success(t)}
			},
			wantAttempts:    2,
			wantFailure:     FailureNone,
			wantDelayRanges: [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}},
		},
		{
			name: "server errors until retries run out",
			replies: func(t *testing.T) []reply {
				return []reply{{status: http.StatusInternalServerError, body: overloadedBody}}
			},
			wantAttempts:    3,
			wantFailure:     FailureServer,
			wantDelayRanges: [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}},
		},
		{
			name: "quota never retried",
			replies: func(t *testing.T) []reply {
				return []reply{{status: http.StatusTooManyRequests, body: quotaBody}, success(t)}
			},
			wantAttempts: 1,
			wantFailure:  FailureQuota,
			wantDelays:   []time.Duration{},
		},
		{
			name: "moderation never retried",
			replies: func(t *testing.T) []reply {
				return []reply{{status: http.StatusBadRequest, body: moderationBody}, success(t)}
			},
			wantAttempts: 1,
			wantFailure:  FailureModeration,
			wantDelays:   []time.Duration{},
		},
		{
			name: "retry-after-ms honoured",
			replies: func(t *testing.T) []reply {
				return []reply{rateLimited(map[string]string{"retry-after-ms": "1500", "retry-after": "9"}), success(t)}
			},
			wantAttempts: 2,
			wantDelays:   []time.Duration{1500 * time.Millisecond},
		},
		{
			name: "retry-after seconds honoured",
			replies: func(t *testing.T) []reply {
				return []reply{rateLimited(map[string]string{"retry-after": "2"}), success(t)}
			},
			wantAttempts: 2,
			wantDelays:   []time.Duration{2 * time.Second},
		},
		{
			name: "retry-after capped",
			replies: func(t *testing.T) []reply {
				return []reply{rateLimited(map[string]string{"retry-after": "3600"}), success(t)}
			},
			cfg:          Config{MaxRetryDelay: 3 * time.Second},
			wantAttempts: 2,
			wantDelays:   []time.Duration{3 * time.Second},
		},
		{
			name: "more retries configured",
			replies: func(t *testing.T) []reply {
				return []reply{rateLimited(nil), rateLimited(nil), rateLimited(nil), success(t)}
			},
			cfg:          Config{MaxRetries: 3, BaseRetryDelay: 100 * time.Millisecond},
			wantAttempts: 4,
			wantDelayRanges: [][2]time.Duration{
				{50 * time.Millisecond, 100 * time.Millisecond},
				{100 * time.Millisecond, 200 * time.Millisecond},
				{200 * time.Millisecond, 400 * time.Millisecond},
			},
		},
		{
			name:         "retries disabled",
			replies:      func(t *testing.T) []reply { return []reply{rateLimited(nil), success(t)} },
			cfg:          Config{MaxRetries: -1},
			wantAttempts: 1,
			wantFailure:  FailureRateLimited,
			wantDelays:   []time.Duration{},
		},
	}
	for _, path := range callPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				server := newScriptedServer(t, tt.replies(t)...)
				client, sleeper := newTestClient(t, server.baseURL(), tt.cfg)

				err := path.call(context.Background(), client)

				if got := Classify(err); got != tt.wantFailure {
					t.Errorf("Classify(%v) = %s, want %s", err, got, tt.wantFailure)
				}
				requests := server.received()
				if len(requests) != tt.wantAttempts {
					t.Errorf("server received %d requests, want %d", len(requests), tt.wantAttempts)
				}
				for i, request := range requests[1:] {
					if !bytes.Equal(request.Body, requests[0].Body) {
						t.Errorf("retry %d sent a different body than the first attempt", i+1)
					}
				}
				var clientErr *Error
				if errors.As(err, &clientErr) && clientErr.Attempts != tt.wantAttempts {
					t.Errorf("error attempts = %d, want %d", clientErr.Attempts, tt.wantAttempts)
				}

				delays := sleeper.recorded()
				if tt.wantDelays != nil {
					if diff := cmp.Diff(delays, tt.wantDelays, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("delays mismatch (-got +want):\n%s", diff)
					}
					return
				}
				if len(delays) != len(tt.wantDelayRanges) {
					t.Fatalf("slept %d times (%v), want %d", len(delays), delays, len(tt.wantDelayRanges))
				}
				for i, delay := range delays {
					if bounds := tt.wantDelayRanges[i]; delay < bounds[0] || delay > bounds[1] {
						t.Errorf("delay %d = %v, want within [%v, %v]", i+1, delay, bounds[0], bounds[1])
					}
				}
			})
		}
	}
}

func TestRetriesReportAttempts(t *testing.T) {
	server := newScriptedServer(t,
		reply{status: http.StatusTooManyRequests, body: rateLimitBody},
		reply{status: http.StatusOK, header: map[string]string{"x-request-id": "req_second"}, body: imagesResponse(t, "", pngImage(t, 1, 1, false))},
	)
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.GenerateImages(context.Background(), ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"})
	if err != nil {
		t.Fatalf("GenerateImages: %v", err)
	}

	if got.Attempts != 2 || got.RequestID != "req_second" {
		t.Errorf("attempts, request ID = %d, %q; want 2, req_second", got.Attempts, got.RequestID)
	}
}

func TestRetriesStopBeforeDeadline(t *testing.T) {
	tests := []struct {
		name         string
		retryAfter   string
		timeout      time.Duration
		wantAttempts int
	}{
		{name: "wait past deadline", retryAfter: "5", timeout: time.Second, wantAttempts: 1},
		{name: "wait inside deadline", retryAfter: "1", timeout: time.Minute, wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{
				status: http.StatusTooManyRequests,
				body:   rateLimitBody,
				header: map[string]string{"retry-after": tt.retryAfter},
			})
			client, _ := newTestClient(t, server.baseURL(), Config{})
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()

			_, err := client.GenerateImages(ctx, ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"})

			if got := Classify(err); got != FailureRateLimited {
				t.Errorf("Classify(%v) = %s, want rate_limited", err, got)
			}
			if n := len(server.received()); n != tt.wantAttempts {
				t.Errorf("server received %d requests, want %d", n, tt.wantAttempts)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	client := New(Config{Now: func() time.Time { return now }})
	header := http.Header{}
	header.Set("retry-after", now.Add(4*time.Second).Format(http.TimeFormat))

	got, ok := client.retryAfter(header)

	if !ok || got != 4*time.Second {
		t.Errorf("retryAfter = %v, %t; want 4s, true", got, ok)
	}
}

func TestRetriesAreLogged(t *testing.T) {
	server := newScriptedServer(t,
		reply{status: http.StatusServiceUnavailable, body: overloadedBody, header: map[string]string{"x-request-id": "req_busy"}},
		reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, false))},
	)
	var logs bytes.Buffer
	client, _ := newTestClient(t, server.baseURL(), Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	if _, err := client.GenerateImages(context.Background(), ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"}); err != nil {
		t.Fatalf("GenerateImages: %v", err)
	}

	got := logs.String()
	for _, want := range []string{
		"level=WARN",
		`msg="openai request failed, retrying"`,
		`operation="POST /images/generations"`,
		"failure=server",
		"attempt=1",
		"request_id=req_busy",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q does not contain %s", got, want)
		}
	}
	if n := strings.Count(got, "\n"); n != 1 {
		t.Errorf("logged %d records, want 1", n)
	}
}
