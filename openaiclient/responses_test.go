package openaiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateConversation(t *testing.T) {
	tests := []struct {
		name     string
		metadata map[string]string
		wantBody string
	}{
		{name: "without metadata", wantBody: `{}`},
		{name: "with metadata", metadata: map[string]string{"discord_channel_id": "222"}, wantBody: `{"metadata":{"discord_channel_id":"222"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{
				status: http.StatusOK,
				header: map[string]string{"x-request-id": "req_conv"},
				body:   `{"id":"conv_123","object":"conversation","created_at":1741900000,"metadata":{}}`,
			})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			got, err := client.CreateConversation(context.Background(), tt.metadata)
			if err != nil {
				t.Fatalf("CreateConversation: %v", err)
			}

			if diff := cmp.Diff(got, Conversation{ID: "conv_123", RequestID: "req_conv", Attempts: 1}); diff != "" {
				t.Errorf("conversation mismatch (-got +want):\n%s", diff)
			}
			requests := server.received()
			if len(requests) != 1 || requests[0].Method != http.MethodPost || requests[0].Path != "/v1/conversations" {
				t.Fatalf("requests = %+v, want one POST /v1/conversations", requests)
			}
			if got := string(requests[0].Body); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if got := requests[0].Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
		})
	}
}

func TestCreateResponseRequestBody(t *testing.T) {
	safetyKey := []byte("0123456789abcdef0123456789abcdef")
	safetyID := SafetyID(safetyKey, "333")
	schema := json.RawMessage(`{"type":"object","properties":{},"required":[],"additionalProperties":false}`)
	tests := []struct {
		name    string
		request ResponseRequest
		want    map[string]any
	}{
		{
			name: "message with tools",
			request: ResponseRequest{
				Model: "gpt-5-mini", ConversationID: "conv_123", Instructions: "Be brief.", Message: "What time is it?",
				Tools: []FunctionTool{
					{Name: "current_time", Description: "Returns the current time.", Parameters: schema, Strict: true},
					{Name: "my_usage", Parameters: schema, Strict: false},
				},
				MaxOutputTokens: 500, SafetyID: safetyID,
			},
			want: map[string]any{
				"model": "gpt-5-mini", "conversation": "conv_123", "instructions": "Be brief.",
				"input": []any{map[string]any{"type": "message", "role": "user", "content": "What time is it?"}},
				"tools": []any{
					map[string]any{"type": "function", "name": "current_time", "description": "Returns the current time.", "strict": true,
						"parameters": map[string]any{"type": "object", "properties": map[string]any{}, "required": []any{}, "additionalProperties": false}},
					map[string]any{"type": "function", "name": "my_usage", "strict": false,
						"parameters": map[string]any{"type": "object", "properties": map[string]any{}, "required": []any{}, "additionalProperties": false}},
				},
				"max_output_tokens": float64(500), "safety_identifier": safetyID,
			},
		},
		{
			name: "function outputs in one request",
			request: ResponseRequest{
				Model: "gpt-5-mini", ConversationID: "conv_123",
				FunctionOutputs: []FunctionOutput{{CallID: "call_1", Output: `{"time":"12:00"}`}, {CallID: "call_2", Output: "error: usage unavailable"}},
			},
			want: map[string]any{
				"model": "gpt-5-mini", "conversation": "conv_123",
				"input": []any{
					map[string]any{"type": "function_call_output", "call_id": "call_1", "output": `{"time":"12:00"}`},
					map[string]any{"type": "function_call_output", "call_id": "call_2", "output": "error: usage unavailable"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-5-mini","output":[]}`})
			client, _ := newTestClient(t, server.baseURL(), Config{SafetyKey: safetyKey})

			if _, err := client.CreateResponse(context.Background(), tt.request); err != nil {
				t.Fatalf("CreateResponse: %v", err)
			}

			requests := server.received()
			if len(requests) != 1 || requests[0].Path != "/v1/responses" {
				t.Fatalf("requests = %+v, want one to /v1/responses", requests)
			}
			var body map[string]any
			if err := json.Unmarshal(requests[0].Body, &body); err != nil {
				t.Fatalf("decode request body %s: %v", requests[0].Body, err)
			}
			if diff := cmp.Diff(body, tt.want); diff != "" {
				t.Errorf("request body mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCreateResponseResult(t *testing.T) {
	server := newScriptedServer(t, reply{
		status: http.StatusOK,
		header: map[string]string{"x-request-id": "req_resp"},
		body: `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-5-mini-2026-08-07",
			"conversation":{"id":"conv_123"},
			"output":[
				{"id":"rs_1","type":"reasoning","summary":[]},
				{"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"current_time","arguments":"{}"},
				{"id":"fc_2","type":"function_call","status":"completed","call_id":"call_2","name":"my_usage","arguments":"{\"period\":\"today\"}"},
				{"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Checking.","annotations":[]}]}
			],
			"usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024,"cache_write_tokens":0},
				"output_tokens":300,"output_tokens_details":{"reasoning_tokens":256},"total_tokens":1500}}`,
	})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.CreateResponse(context.Background(), ResponseRequest{Model: "gpt-5-mini", ConversationID: "conv_123", Message: "hi"})
	if err != nil {
		t.Fatalf("CreateResponse: %v", err)
	}

	want := ResponseResult{
		ID:     "resp_1",
		Status: "completed",
		Text:   "Checking.",
		FunctionCalls: []FunctionCall{
			{CallID: "call_1", Name: "current_time", Arguments: "{}"},
			{CallID: "call_2", Name: "my_usage", Arguments: `{"period":"today"}`},
		},
		Usage:     Usage{TextInputTokens: 176, CachedInputTokens: 1024, TextOutputTokens: 300, ReasoningTokens: 256},
		RequestID: "req_resp",
		Model:     "gpt-5-mini-2026-08-07",
		Attempts:  1,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("result mismatch (-got +want):\n%s", diff)
	}
}

func TestCreateResponseIncomplete(t *testing.T) {
	server := newScriptedServer(t, reply{
		status: http.StatusOK,
		body: `{"id":"resp_2","object":"response","created_at":1,"status":"incomplete","model":"gpt-5-mini",
			"incomplete_details":{"reason":"max_output_tokens"},"output":[],
			"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},
				"output_tokens":50,"output_tokens_details":{"reasoning_tokens":50},"total_tokens":60}}`,
	})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.CreateResponse(context.Background(), ResponseRequest{Model: "gpt-5-mini", Message: "hi", MaxOutputTokens: 50})
	if err != nil {
		t.Fatalf("CreateResponse: %v", err)
	}

	if got.Status != "incomplete" || got.IncompleteReason != "max_output_tokens" {
		t.Errorf("status, reason = %q, %q; want incomplete, max_output_tokens", got.Status, got.IncompleteReason)
	}
	if diff := cmp.Diff(got.Usage, Usage{TextInputTokens: 10, TextOutputTokens: 50, ReasoningTokens: 50}); diff != "" {
		t.Errorf("usage mismatch (-got +want):\n%s", diff)
	}
}

func TestCreateResponseInvalidInput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object"}`)
	tests := []struct {
		name    string
		request ResponseRequest
	}{
		{name: "missing model", request: ResponseRequest{Message: "hi"}},
		{name: "missing input", request: ResponseRequest{Model: "gpt-5-mini", Message: "  "}},
		{name: "raw user ID", request: ResponseRequest{Model: "gpt-5-mini", Message: "hi", SafetyID: "333"}},
		{name: "output without call ID", request: ResponseRequest{Model: "gpt-5-mini", FunctionOutputs: []FunctionOutput{{Output: "x"}}}},
		{name: "tool without name", request: ResponseRequest{Model: "gpt-5-mini", Message: "hi", Tools: []FunctionTool{{Parameters: schema}}}},
		{name: "tool schema not an object", request: ResponseRequest{Model: "gpt-5-mini", Message: "hi", Tools: []FunctionTool{{Name: "f", Parameters: json.RawMessage(`[1]`)}}}},
		{name: "tool without schema", request: ResponseRequest{Model: "gpt-5-mini", Message: "hi", Tools: []FunctionTool{{Name: "f"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: `{}`})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			_, err := client.CreateResponse(context.Background(), tt.request)

			if got := Classify(err); got != FailureInvalidInput {
				t.Errorf("Classify(%v) = %s, want invalid_input", err, got)
			}
			if n := len(server.received()); n != 0 {
				t.Errorf("server received %d requests, want 0", n)
			}
		})
	}
}

func TestCreateResponseRetriesRateLimit(t *testing.T) {
	server := newScriptedServer(t,
		reply{status: http.StatusTooManyRequests, body: rateLimitBody},
		reply{status: http.StatusOK, body: `{"id":"resp_3","object":"response","created_at":1,"status":"completed","model":"gpt-5-mini","output":[]}`},
	)
	client, sleeper := newTestClient(t, server.baseURL(), Config{})

	got, err := client.CreateResponse(context.Background(), ResponseRequest{Model: "gpt-5-mini", Message: "hi"})
	if err != nil {
		t.Fatalf("CreateResponse: %v", err)
	}

	if got.Attempts != 2 || len(sleeper.recorded()) != 1 {
		t.Errorf("attempts, sleeps = %d, %d; want 2, 1", got.Attempts, len(sleeper.recorded()))
	}
}
