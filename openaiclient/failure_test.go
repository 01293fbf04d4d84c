package openaiclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// callPaths are the two ways a request leaves the client: through
// go-openai and through the adapter. Every failure must classify alike.
var callPaths = []struct {
	name string
	call func(ctx context.Context, client *Client) error
}{
	{
		name: "go-openai generation",
		call: func(ctx context.Context, client *Client) error {
			_, err := client.GenerateImages(ctx, ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"})
			return err
		},
	},
	{
		name: "adapter edit",
		call: func(ctx context.Context, client *Client) error {
			_, err := client.EditImages(ctx, EditRequest{Model: "gpt-image-2", Prompt: "p", Image: webpHeader()})
			return err
		},
	},
}

func TestClassifyErrorResponses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Failure
		// wantAPIError is true when the body is an OpenAI error object,
		// false when it must surface as an *openai.RequestError.
		wantAPIError bool
	}{
		{
			name:   "moderation blocked",
			status: http.StatusBadRequest,
			body:   `{"error":{"message":"Your request was rejected by the safety system.","type":"image_generation_user_error","param":null,"code":"moderation_blocked"}}`,
			want:   FailureModeration, wantAPIError: true,
		},
		{
			name:   "content policy violation",
			status: http.StatusBadRequest,
			body:   `{"error":{"message":"rejected","type":"invalid_request_error","code":"content_policy_violation"}}`,
			want:   FailureModeration, wantAPIError: true,
		},
		{
			name:   "insufficient quota",
			status: http.StatusTooManyRequests,
			body:   `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			want:   FailureQuota, wantAPIError: true,
		},
		{
			name:   "rate limit exceeded",
			status: http.StatusTooManyRequests,
			body:   `{"error":{"message":"Rate limit reached.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			want:   FailureRateLimited, wantAPIError: true,
		},
		{
			name:   "server error with HTML body",
			status: http.StatusBadGateway,
			body:   "<html><body><h1>502 Bad Gateway</h1></body></html>",
			want:   FailureServer,
		},
		{
			name:   "service unavailable with JSON body",
			status: http.StatusServiceUnavailable,
			body:   `{"error":{"message":"The engine is currently overloaded.","type":"server_error","code":null}}`,
			want:   FailureServer, wantAPIError: true,
		},
		{
			name:   "wrong key",
			status: http.StatusUnauthorized,
			body:   `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`,
			want:   FailureAuth, wantAPIError: true,
		},
		{
			name:   "forbidden",
			status: http.StatusForbidden,
			body:   `{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}`,
			want:   FailureAuth, wantAPIError: true,
		},
		{
			name:   "invalid parameter",
			status: http.StatusBadRequest,
			body:   `{"error":{"message":"Unknown parameter: 'response_format'.","type":"invalid_request_error","param":"response_format","code":"unknown_parameter"}}`,
			want:   FailureBadRequest, wantAPIError: true,
		},
		{
			name:   "model not found",
			status: http.StatusNotFound,
			body:   `{"error":{"message":"The model does not exist.","type":"invalid_request_error","code":"model_not_found"}}`,
			want:   FailureBadRequest, wantAPIError: true,
		},
	}
	for _, path := range callPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				server := newScriptedServer(t, reply{status: tt.status, body: tt.body, header: map[string]string{"x-request-id": "req_fail"}})
				client, _ := newTestClient(t, server.baseURL(), Config{MaxRetries: -1})

				err := path.call(context.Background(), client)

				if got := Classify(err); got != tt.want {
					t.Errorf("Classify(%v) = %s, want %s", err, got, tt.want)
				}
				var clientErr *Error
				if !errors.As(err, &clientErr) {
					t.Fatalf("error %v is not an *Error", err)
				}
				if clientErr.RequestID != "req_fail" || clientErr.Attempts != 1 {
					t.Errorf("request ID, attempts = %q, %d; want req_fail, 1", clientErr.RequestID, clientErr.Attempts)
				}
				var apiErr *openai.APIError
				var requestErr *openai.RequestError
				switch {
				case tt.wantAPIError && !errors.As(err, &apiErr):
					t.Errorf("error %v does not wrap an *openai.APIError", err)
				case !tt.wantAPIError && !errors.As(err, &requestErr):
					t.Errorf("error %v does not wrap an *openai.RequestError", err)
				case apiErr != nil && apiErr.HTTPStatusCode != tt.status:
					t.Errorf("APIError status = %d, want %d", apiErr.HTTPStatusCode, tt.status)
				}
			})
		}
	}
}

// refusedURL returns a base URL on 127.0.0.1 where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	address := listener.Addr().String()
	listener.Close()
	return "http://" + address + "/v1"
}

func TestClassifyTransportFailures(t *testing.T) {
	tests := []struct {
		name string
		// replyFor scripts the server; nil means no server at all.
		replyFor func(t *testing.T) *reply
		// context returns the call's context.
		context     func() (context.Context, context.CancelFunc)
		want        Failure
		wantWritten bool
	}{
		{
			name:     "refused connection",
			replyFor: nil,
			want:     FailureNotSent,
		},
		{
			name:     "context cancelled before sending",
			replyFor: func(t *testing.T) *reply { return &reply{status: http.StatusOK, body: "{}"} },
			context: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			want: FailureNotSent,
		},
		{
			name:        "connection dropped after the body was read",
			replyFor:    func(t *testing.T) *reply { return &reply{handle: dropConnection(t)} },
			want:        FailureUnknownOutcome,
			wantWritten: true,
		},
		{
			name: "timeout while the server works",
			replyFor: func(t *testing.T) *reply {
				return &reply{handle: func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				}}
			},
			context: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 200*time.Millisecond)
			},
			want:        FailureUnknownOutcome,
			wantWritten: true,
		},
		{
			name: "body cut short",
			replyFor: func(t *testing.T) *reply {
				return &reply{handle: func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Length", "1000")
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, `{"created":1,"data":[{"b64_json":"`)
				}}
			},
			want:        FailureUnknownOutcome,
			wantWritten: true,
		},
	}
	for _, path := range callPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				baseURL := refusedURL(t)
				var server *scriptedServer
				if tt.replyFor != nil {
					server = newScriptedServer(t, *tt.replyFor(t))
					baseURL = server.baseURL()
				}
				client, _ := newTestClient(t, baseURL, Config{MaxRetries: -1})
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.context != nil {
					ctx, cancel = tt.context()
				}
				defer cancel()

				err := path.call(ctx, client)

				if got := Classify(err); got != tt.want {
					t.Errorf("Classify(%v) = %s, want %s", err, got, tt.want)
				}
				var transportErr *TransportError
				if !errors.As(err, &transportErr) {
					t.Fatalf("error %v does not wrap a *TransportError", err)
				}
				if transportErr.RequestWritten != tt.wantWritten {
					t.Errorf("RequestWritten = %t, want %t", transportErr.RequestWritten, tt.wantWritten)
				}
			})
		}
	}
}

func TestClassifyUndecodableSuccess(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{name: "HTML instead of JSON", body: "<html>ok</html>"},
		{name: "no images", body: `{"created":1,"data":[]}`},
		{name: "invalid base64", body: `{"created":1,"data":[{"b64_json":"%%%"}]}`},
	}
	for _, path := range callPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				server := newScriptedServer(t, reply{status: http.StatusOK, body: tt.body})
				client, _ := newTestClient(t, server.baseURL(), Config{})

				err := path.call(context.Background(), client)

				if got := Classify(err); got != FailureUnknownOutcome {
					t.Errorf("Classify(%v) = %s, want unknown_outcome", err, got)
				}
				if n := len(server.received()); n != 1 {
					t.Errorf("server received %d requests, want 1 (no retry)", n)
				}
			})
		}
	}
}

func TestClassifyErrorChains(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Failure
	}{
		{name: "nil", err: nil, want: FailureNone},
		{name: "plain error", err: errors.New("boom"), want: FailureUnknownOutcome},
		{name: "wrapped client error", err: fmt.Errorf("imagine: %w", &Error{Failure: FailureQuota, Err: errors.New("x")}), want: FailureQuota},
		{name: "wrapped API error", err: fmt.Errorf("call: %w", &openai.APIError{HTTPStatusCode: 400, Code: "moderation_blocked"}), want: FailureModeration},
		{name: "numeric code", err: &openai.APIError{HTTPStatusCode: 400, Code: 400}, want: FailureBadRequest},
		{name: "quota as type only", err: &openai.APIError{HTTPStatusCode: 429, Type: "insufficient_quota"}, want: FailureQuota},
		{name: "rate limit without code", err: &openai.APIError{HTTPStatusCode: 429}, want: FailureRateLimited},
		{name: "moderation code on a 5xx", err: &openai.APIError{HTTPStatusCode: 500, Code: "moderation_blocked"}, want: FailureServer},
		{
			name: "azure content filter",
			err:  &openai.APIError{HTTPStatusCode: 400, Code: "invalid_prompt", InnerError: &openai.InnerError{Code: "ResponsibleAIPolicyViolation"}},
			want: FailureModeration,
		},
		{name: "request error 429", err: &openai.RequestError{HTTPStatusCode: 429}, want: FailureRateLimited},
		{name: "request error 500", err: &openai.RequestError{HTTPStatusCode: 500}, want: FailureServer},
		{name: "transport not written", err: &TransportError{Err: errors.New("dial")}, want: FailureNotSent},
		{name: "transport written", err: &TransportError{RequestWritten: true, Err: errors.New("EOF")}, want: FailureUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorsOmitAPIKey(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{name: "key in API error message", body: `{"error":{"message":"Incorrect API key provided: ` + testAPIKey + `.","type":"invalid_request_error","code":"invalid_api_key"}}`},
		{name: "key in non-JSON body", body: "bad key " + testAPIKey},
	}
	for _, path := range callPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				server := newScriptedServer(t, reply{status: http.StatusUnauthorized, body: tt.body})
				client, _ := newTestClient(t, server.baseURL(), Config{})

				err := path.call(context.Background(), client)

				if err == nil {
					t.Fatal("call succeeded, want an error")
				}
				if strings.Contains(err.Error(), testAPIKey) {
					t.Errorf("error text contains the API key: %v", err)
				}
				if !strings.Contains(err.Error(), "[redacted]") {
					t.Errorf("error text %q does not mark the redaction", err)
				}
			})
		}
	}
}

func TestClientFormattingOmitsKeys(t *testing.T) {
	cfg := Config{APIKey: testAPIKey, SafetyKey: []byte("safety-secret-value"), BaseURL: "http://127.0.0.1:1/v1"}
	client := New(cfg)
	for _, text := range []string{
		fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		fmt.Sprintf("%v", client), fmt.Sprintf("%+v", client), fmt.Sprintf("%#v", client),
	} {
		if strings.Contains(text, testAPIKey) || strings.Contains(text, "safety-secret-value") {
			t.Errorf("formatted value %q contains a key", text)
		}
	}
}
