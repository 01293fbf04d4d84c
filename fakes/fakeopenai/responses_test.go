package fakeopenai

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
)

const (
	responsesPath     = "/v1/responses"
	conversationsPath = "/v1/conversations"
)

// createConversation creates a conversation over plain HTTP, because
// go-openai v1.43.0 has no conversations endpoint, and returns its ID.
func createConversation(t *testing.T, s *Server, body string) string {
	t.Helper()
	res := postJSON(t, s, conversationsPath, body)
	if res.status != http.StatusOK {
		t.Fatalf("create conversation: status %d, body %s", res.status, res.body)
	}
	var got conversationBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode conversation: %v", err)
	}
	return got.ID
}

func timeTools() []openai.ResponseTool {
	schema := map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false, "required": []string{}}
	return []openai.ResponseTool{
		openai.NewResponseFunctionTool(openai.FunctionDefinition{Name: "current_time", Parameters: schema, Strict: true}),
		openai.NewResponseFunctionTool(openai.FunctionDefinition{Name: "my_usage", Parameters: schema, Strict: true}),
	}
}

func TestConversationCreate(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name         string
		body         string
		wantMetadata map[string]string
	}{
		{name: "empty body", body: "", wantMetadata: map[string]string{}},
		{name: "empty object", body: `{}`, wantMetadata: map[string]string{}},
		{name: "metadata", body: `{"metadata":{"thread":"222"}}`, wantMetadata: map[string]string{"thread": "222"}},
		{name: "initial items", body: `{"items":[{"type":"message","role":"user","content":"hi"}]}`, wantMetadata: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := postJSON(t, s, conversationsPath, tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
			}
			var got conversationBody
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatalf("decode conversation: %v", err)
			}
			if got.Object != "conversation" || len(got.ID) < len("conv_")+1 || got.ID[:5] != "conv_" {
				t.Errorf("conversation = %+v, want object conversation and a conv_ ID", got)
			}
			if diff := cmp.Diff(got.Metadata, tc.wantMetadata); diff != "" {
				t.Errorf("metadata mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestConversationRejects(t *testing.T) {
	s := newServer(t, Options{})
	badRequest := func(param, code string) wantError {
		return wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code}
	}
	tooMany := `{"items":[` + strings.Repeat(`{"role":"user","content":"x"},`, 20) + `{"role":"user","content":"x"}]}`
	manyPairs := `{"metadata":{` + `"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1",` +
		`"i":"1","j":"1","k":"1","l":"1","m":"1","n":"1","o":"1","p":"1","q":"1"}}`
	tests := []struct {
		name string
		body string
		want wantError
	}{
		{name: "unknown field", body: `{"title":"x"}`, want: badRequest("title", "unknown_parameter")},
		{name: "metadata not strings", body: `{"metadata":{"a":1}}`, want: badRequest("metadata", "invalid_type")},
		{name: "seventeen metadata pairs", body: manyPairs, want: badRequest("metadata", "object_above_max_properties")},
		{name: "twenty-one items", body: tooMany, want: badRequest("items", "array_above_max_length")},
		{name: "unknown item type", body: `{"items":[{"type":"reasoning"}]}`, want: badRequest("items[0].type", "invalid_value")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, postJSON(t, s, conversationsPath, tc.body), tc.want)
		})
	}
}

func TestResponseInConversation(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)
	conversationID := createConversation(t, s, `{}`)

	first, err := client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model:        "gpt-5-mini",
		Conversation: conversationID,
		Instructions: "Be brief.",
		Input:        "hello there",
	})
	if err != nil {
		t.Fatalf("first CreateResponse() error = %v", err)
	}
	if got := first.GetOutputText(); got != "Echo: hello there" {
		t.Errorf("first output = %q, want the default echo", got)
	}
	// Input: "Be brief." (9 characters, 3 tokens) and "hello there"
	// (11, 3). Output: "Echo: hello there" (17, 5).
	if first.Usage == nil || first.Usage.InputTokens != 6 || first.Usage.OutputTokens != 5 || first.Usage.TotalTokens != 11 {
		t.Errorf("first usage = %+v, want 6 input and 5 output tokens", first.Usage)
	}

	second, err := client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model:        "gpt-5-mini",
		Conversation: map[string]string{"id": conversationID},
		Input:        []any{openai.ResponseInputMessage{Type: "message", Role: "user", Content: "again"}},
	})
	if err != nil {
		t.Fatalf("second CreateResponse() error = %v", err)
	}
	// Input: the first exchange (3 + 5) and "again" (5 characters, 2).
	if second.Usage == nil || second.Usage.InputTokens != 10 {
		t.Errorf("second usage = %+v, want 10 input tokens including the conversation", second.Usage)
	}
}

func TestResponseFunctionCalls(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)
	conversationID := createConversation(t, s, `{}`)
	s.QueueTurns(Turn{Calls: []Call{
		{Name: "current_time", Arguments: `{}`},
		{Name: "my_usage", Arguments: `{"period":"today"}`},
	}})

	resp, err := client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model: "gpt-5-mini", Conversation: conversationID, Input: "what time is it and what did I spend?", Tools: timeTools(),
	})
	if err != nil {
		t.Fatalf("CreateResponse() error = %v", err)
	}
	calls := functionCalls(t, resp)
	if len(calls) != 2 || calls[0].Name != "current_time" || calls[1].Name != "my_usage" {
		t.Fatalf("function calls = %+v, want current_time and my_usage", calls)
	}
	// Output: "current_time" (3) + "{}" (1) and "my_usage" (2) +
	// `{"period":"today"}` (5).
	if resp.Usage == nil || resp.Usage.OutputTokens != 11 {
		t.Errorf("usage = %+v, want 11 output tokens", resp.Usage)
	}

	followUp := func(outputs ...openai.ResponseFunctionCallOutput) (openai.CreateResponseResponse, error) {
		input := make([]any, len(outputs))
		for i, o := range outputs {
			input[i] = o
		}
		return client.CreateResponse(t.Context(), openai.CreateResponseRequest{
			Model: "gpt-5-mini", Conversation: conversationID, Input: input, Tools: timeTools(),
		})
	}
	timeOutput := openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: calls[0].CallID, Output: "12:00"}
	usageOutput := openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: calls[1].CallID, Output: "error: database unavailable"}

	_, err = followUp(timeOutput)
	if apiErr := apiError(t, err); apiErr.HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("one output of two: status = %d, want 400", apiErr.HTTPStatusCode)
	}
	_, err = followUp(timeOutput, usageOutput, openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: "call_unknown", Output: "x"})
	if apiErr := apiError(t, err); apiErr.HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("output for an unknown call: status = %d, want 400", apiErr.HTTPStatusCode)
	}

	final, err := followUp(timeOutput, usageOutput)
	if err != nil {
		t.Fatalf("follow-up CreateResponse() error = %v", err)
	}
	if got := final.GetOutputText(); got != "Results: 12:00; error: database unavailable" {
		t.Errorf("final output = %q, want both results", got)
	}

	// The calls are answered, so outputs for them are now rejected.
	_, err = followUp(timeOutput)
	if apiErr := apiError(t, err); apiErr.HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("output for an answered call: status = %d, want 400", apiErr.HTTPStatusCode)
	}
}

// functionCalls returns the function call items of resp's output.
func functionCalls(t *testing.T, resp openai.CreateResponseResponse) []openai.ResponseOutputItem {
	t.Helper()
	var calls []openai.ResponseOutputItem
	for _, raw := range resp.Output {
		data, err := json.Marshal(raw)
		if err != nil {
			t.Fatalf("encode output item: %v", err)
		}
		var it openai.ResponseOutputItem
		if err := json.Unmarshal(data, &it); err != nil {
			t.Fatalf("decode output item: %v", err)
		}
		if it.Type == "function_call" {
			calls = append(calls, it)
		}
	}
	return calls
}

func TestResponsePreviousResponseID(t *testing.T) {
	s := newServer(t, Options{})
	first := postJSON(t, s, responsesPath, `{"model":"gpt-5-mini","input":"abcd"}`)
	var body responseBody
	if err := json.Unmarshal(first.body, &body); err != nil {
		t.Fatalf("decode first response: %v", err)
	}

	second := postJSON(t, s, responsesPath, `{"model":"gpt-5-mini","input":"abcd","previous_response_id":"`+body.ID+`"}`)
	var got responseBody
	if err := json.Unmarshal(second.body, &got); err != nil {
		t.Fatalf("decode second response: %v", err)
	}
	// Earlier items: "abcd" (1) and "Echo: abcd" (3); new input "abcd" (1).
	if got.Usage.InputTokens != 5 {
		t.Errorf("input tokens = %d, want 5", got.Usage.InputTokens)
	}
	if deref(got.PreviousResponseID) != body.ID {
		t.Errorf("previous_response_id = %q, want %q", deref(got.PreviousResponseID), body.ID)
	}
}

func TestResponseMaxOutputTokens(t *testing.T) {
	s := newServer(t, Options{})
	s.QueueTurns(Turn{Text: strings.Repeat("word ", 20)}) // 100 characters: 25 tokens

	res := postJSON(t, s, responsesPath, `{"model":"gpt-5-mini","input":"x","max_output_tokens":16}`)
	var got responseBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if got.Status != "incomplete" || got.IncompleteDetails == nil || got.IncompleteDetails.Reason != "max_output_tokens" {
		t.Errorf("status = %q, details %+v, want incomplete for max_output_tokens", got.Status, got.IncompleteDetails)
	}
	if got.Usage.OutputTokens != 16 {
		t.Errorf("output tokens = %d, want 16", got.Usage.OutputTokens)
	}
	if got.CompletedAt != nil {
		t.Errorf("completed_at = %d, want null for an incomplete response", *got.CompletedAt)
	}
}

func TestResponseRejects(t *testing.T) {
	s := newServer(t, Options{})
	conversationID := createConversation(t, s, `{}`)
	badRequest := func(param, code string) wantError {
		return wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code}
	}
	notFound := func(param, code string) wantError {
		return wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: param, code: code}
	}
	tool := `{"type":"function","name":"current_time","parameters":{"type":"object"},"strict":true}`
	tests := []struct {
		name string
		body string
		want wantError
	}{
		{name: "model missing", body: `{"input":"x"}`, want: badRequest("model", "missing_required_parameter")},
		{name: "model unknown", body: `{"model":"gpt-9","input":"x"}`, want: notFound("model", "model_not_found")},
		{name: "image model", body: `{"model":"gpt-image-2","input":"x"}`, want: badRequest("model", "invalid_value")},
		{name: "input missing", body: `{"model":"gpt-5-mini"}`, want: badRequest("input", "missing_required_parameter")},
		{name: "input a number", body: `{"model":"gpt-5-mini","input":5}`, want: badRequest("input", "invalid_type")},
		{name: "unknown parameter", body: `{"model":"gpt-5-mini","input":"x","messages":[]}`, want: badRequest("messages", "unknown_parameter")},
		{name: "tool without strict", body: `{"model":"gpt-5-mini","input":"x","tools":[{"type":"function","name":"f","parameters":{}}]}`,
			want: badRequest("tools[0].strict", "missing_required_parameter")},
		{name: "built-in tool", body: `{"model":"gpt-5-mini","input":"x","tools":[{"type":"web_search"}]}`, want: badRequest("tools[0].type", "invalid_value")},
		{name: "duplicate tool", body: `{"model":"gpt-5-mini","input":"x","tools":[` + tool + `,` + tool + `]}`, want: badRequest("tools[1].name", "duplicate_value")},
		{name: "conversation unknown", body: `{"model":"gpt-5-mini","input":"x","conversation":"conv_none"}`, want: notFound("conversation", "conversation_not_found")},
		{name: "previous response unknown", body: `{"model":"gpt-5-mini","input":"x","previous_response_id":"resp_none"}`,
			want: notFound("previous_response_id", "previous_response_not_found")},
		{name: "conversation and previous response", body: `{"model":"gpt-5-mini","input":"x","conversation":"` + conversationID + `","previous_response_id":"resp_x"}`,
			want: badRequest("conversation", "mutually_exclusive_parameters")},
		{name: "stream", body: `{"model":"gpt-5-mini","input":"x","stream":true}`, want: badRequest("stream", "unsupported_value")},
		{name: "max output below 16", body: `{"model":"gpt-5-mini","input":"x","max_output_tokens":15}`, want: badRequest("max_output_tokens", "integer_below_min_value")},
		{name: "safety identifier too long", body: `{"model":"gpt-5-mini","input":"x","safety_identifier":"` + strings.Repeat("a", 65) + `"}`,
			want: badRequest("safety_identifier", "string_above_max_length")},
		{name: "output for no call", body: `{"model":"gpt-5-mini","input":[{"type":"function_call_output","call_id":"call_x","output":"1"}]}`,
			want: badRequest("input", "invalid_value")},
		{name: "image content", body: `{"model":"gpt-5-mini","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://example.test/a.png"}]}]}`,
			want: badRequest("input[0].content[0].type", "invalid_value")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, postJSON(t, s, responsesPath, tc.body), tc.want)
		})
	}
}

func TestConversationLocked(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)
	conversationID := createConversation(t, s, `{}`)
	s.Script(responsesPath, Delay(300*time.Millisecond))

	done := make(chan error, 1)
	go func() {
		_, err := client.CreateResponse(context.Background(), openai.CreateResponseRequest{
			Model: "gpt-5-mini", Conversation: conversationID, Input: "first",
		})
		done <- err
	}()
	waitUntil(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.conversations[conversationID].busy
	})

	_, err := client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model: "gpt-5-mini", Conversation: conversationID, Input: "second",
	})
	if code := apiError(t, err).Code; code != "conversation_locked" {
		t.Errorf("second response code = %v, want conversation_locked", code)
	}
	if err := <-done; err != nil {
		t.Errorf("first response error = %v", err)
	}

	s.mu.Lock()
	items := len(s.conversations[conversationID].items)
	s.mu.Unlock()
	if items != 2 {
		t.Errorf("conversation has %d items, want 2 (the first message and its reply)", items)
	}
}

// waitUntil polls cond every millisecond for up to two seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestResponseScriptedFailureKeepsConversation(t *testing.T) {
	s := newServer(t, Options{})
	conversationID := createConversation(t, s, `{}`)
	s.Script(responsesPath, RateLimited(10*time.Millisecond))

	res := postJSON(t, s, responsesPath, `{"model":"gpt-5-mini","input":"x","conversation":"`+conversationID+`"}`)
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429", res.status)
	}
	s.mu.Lock()
	items, busy := len(s.conversations[conversationID].items), s.conversations[conversationID].busy
	s.mu.Unlock()
	if items != 0 || busy {
		t.Errorf("conversation items = %d, busy = %v after a failed response, want 0 and false", items, busy)
	}
}

func TestResponseValidation(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	client := newClient(s)
	conversationID := createConversation(t, s, `{"metadata":{"thread":"222"}}`)

	s.QueueTurns(Turn{Text: "Checking.", Calls: []Call{{Name: "current_time", Arguments: `{}`}}})
	resp, err := client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model: "gpt-5-mini", Conversation: conversationID, Input: "time?", Tools: timeTools(),
		SafetyIdentifier: "c2FmZXR5", MaxOutputTokens: 500,
	})
	if err != nil {
		t.Fatalf("CreateResponse() error = %v", err)
	}
	calls := functionCalls(t, resp)
	if len(calls) != 1 {
		t.Fatalf("got %d function calls, want 1", len(calls))
	}
	_, err = client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model: "gpt-5-mini", Conversation: conversationID, Tools: timeTools(),
		Input: []any{openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: calls[0].CallID, Output: "12:00"}},
	})
	if err != nil {
		t.Errorf("follow-up CreateResponse() error = %v", err)
	}

	// go-openai omits strict when it is false, and the document requires it.
	schema := map[string]any{"type": "object"}
	_, err = client.CreateResponse(t.Context(), openai.CreateResponseRequest{
		Model: "gpt-5-mini", Input: "x",
		Tools: []openai.ResponseTool{openai.NewResponseFunctionTool(openai.FunctionDefinition{Name: "f", Parameters: schema})},
	})
	if code := apiError(t, err).Code; code != "spec_validation_failed" {
		t.Errorf("tool without strict: code = %v, want spec_validation_failed", code)
	}
}
