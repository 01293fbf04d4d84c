package fakeopenai

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Turn is one scripted model output for POST /v1/responses: text, function
// calls, or both. QueueTurns queues turns, and a response with no queued
// turn gets a default text (see QueueTurns).
type Turn struct {
	Text  string
	Calls []Call
}

// Call is a function call in a Turn. Arguments is the JSON arguments
// object as the model writes it.
type Call struct {
	Name      string
	Arguments string
}

// QueueTurns queues model outputs for the next successful responses, one
// turn per response, in any conversation. Without a queued turn the model
// replies with text: "Echo: " and the last user message, or "Results: "
// and the function outputs joined by "; " when the input has no message.
//
// Usage is deterministic: input_tokens is PromptTokens of the
// instructions plus the tokens of every earlier item of the conversation
// (or previous response) and of every input item, and output_tokens is the
// tokens of the output items. A message counts PromptTokens of its text, a
// function call PromptTokens of its name plus PromptTokens of its
// arguments, and a function output PromptTokens of its output. There are
// no cached or reasoning tokens.
func (s *Server) QueueTurns(turns ...Turn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.turns = append(s.turns, turns...)
}

// responseParams are the parameters POST /v1/responses accepts, as listed
// by the CreateResponse schema of OpenAI's API reference.
var responseParams = []string{
	"background", "context_management", "conversation", "include", "input", "instructions",
	"max_output_tokens", "max_tool_calls", "metadata", "model", "moderation", "parallel_tool_calls",
	"previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention",
	"reasoning", "safety_identifier", "service_tier", "store", "stream", "stream_options", "temperature",
	"text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user",
}

// responseRequest is a checked POST /v1/responses request.
type responseRequest struct {
	model          string
	instructions   string
	input          []item
	conversationID string
	previousID     string
	tools          []json.RawMessage
	toolNames      []string
	maxOutput      int
	safetyID       string
}

// createResponse serves POST /v1/responses. The conversation, if any, is
// locked from the checks until the outcome is stored, so a second response
// in the same conversation meanwhile gets a 400 conversation_locked.
func (s *Server) createResponse(x *exchange) reply {
	req, rep, ok := s.readResponseRequest(x)
	if !ok {
		return rep
	}

	history, rep, ok := s.lockContext(req)
	if !ok {
		return rep
	}
	defer s.unlockContext(req)

	if rep, ok := checkCallOutputs(history, req.input); !ok {
		return rep
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}

	turn := s.nextTurn(req.input)
	for _, c := range turn.Calls {
		if !slices.Contains(req.toolNames, c.Name) {
			return errorReply(http.StatusInternalServerError, APIError{
				Type:    typeServer,
				Message: "The queued turn calls function '" + c.Name + "', which the request's tools do not define.",
			})
		}
	}
	body, output := s.buildResponse(req, history, turn)
	s.storeOutcome(req, body.ID, slices.Concat(history, req.input, output))
	return reply{status: http.StatusOK, value: body}
}

// readResponseRequest reads and checks the request body.
func (s *Server) readResponseRequest(x *exchange) (responseRequest, reply, bool) {
	p, rep, ok := jsonParams(x, responseParams)
	if !ok {
		return responseRequest{}, rep, false
	}

	req := responseRequest{
		model:        p.text("model", ""),
		instructions: p.text("instructions", ""),
		previousID:   p.text("previous_response_id", ""),
		maxOutput:    p.integer("max_output_tokens", 0, 16, 1<<30),
		safetyID:     p.text("safety_identifier", ""),
	}
	p.text("user", "")
	p.choice("tool_choice", "auto", "none", "auto", "required")
	if p.boolean("stream", false) {
		p.fail(invalidRequest("stream", "unsupported_value", "The fake does not stream responses. Leave 'stream' out or set it to false."))
	}
	if p.boolean("background", false) {
		p.fail(invalidRequest("background", "unsupported_value", "The fake does not run responses in the background."))
	}
	if rep, failed := p.failed(); failed {
		return responseRequest{}, rep, false
	}

	switch {
	case !p.present("model"):
		return responseRequest{}, missingParameter("model"), false
	case len(req.safetyID) > 64:
		return responseRequest{}, invalidRequest("safety_identifier", "string_above_max_length",
			"Invalid 'safety_identifier': string too long. Expected a string with maximum length 64."), false
	}
	if _, found := s.findModel(req.model); !found {
		return responseRequest{}, modelNotFound(req.model), false
	}
	if isGPTImageModel(req.model) || req.model == "dall-e-2" {
		return responseRequest{}, invalidRequest("model", "invalid_value",
			"The model '%s' is an image model and does not support the Responses API.", req.model), false
	}

	raw, _, present := p.raw("input")
	if !present {
		return responseRequest{}, missingParameter("input"), false
	}
	if req.input, rep, ok = parseInput(raw, "input"); !ok {
		return responseRequest{}, rep, false
	}
	if req.conversationID, rep, ok = readConversationID(p); !ok {
		return responseRequest{}, rep, false
	}
	if req.conversationID != "" && req.previousID != "" {
		return responseRequest{}, invalidRequest("conversation", "mutually_exclusive_parameters",
			"'conversation' and 'previous_response_id' cannot be used together."), false
	}
	if req.tools, req.toolNames, rep, ok = readTools(p); !ok {
		return responseRequest{}, rep, false
	}
	return req, reply{}, true
}

// readConversationID reads conversation, a string ID or an object with id.
func readConversationID(p *params) (string, reply, bool) {
	raw, _, present := p.raw("conversation")
	if !present {
		return "", reply{}, true
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id, reply{}, true
	}
	var object struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &object); err != nil || object.ID == "" {
		return "", invalidType("conversation", "a string or an object with an id", raw), false
	}
	return object.ID, reply{}, true
}

// readTools reads function tools, each with a name, a parameters object and
// strict, which the API requires.
//
// NOTE: built-in tools (web search, file search and the like) get a 400,
// because the fake cannot run them.
func readTools(p *params) ([]json.RawMessage, []string, reply, bool) {
	raw, _, present := p.raw("tools")
	if !present {
		return []json.RawMessage{}, nil, reply{}, true
	}
	var tools []json.RawMessage
	if err := json.Unmarshal(raw, &tools); err != nil {
		return nil, nil, invalidType("tools", "an array", raw), false
	}

	var names []string
	for i, tool := range tools {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(tool, &fields); err != nil {
			return nil, nil, invalidType("tools", "an array of objects", raw), false
		}
		at := "tools[" + strconv.Itoa(i) + "]"
		var tt, name string
		_ = json.Unmarshal(fields["type"], &tt)
		_ = json.Unmarshal(fields["name"], &name)
		switch {
		case tt != "function":
			return nil, nil, invalidValue(at+".type", tt, "'function' (the fake's subset)"), false
		case name == "":
			return nil, nil, missingParameter(at + ".name"), false
		case fields["strict"] == nil:
			return nil, nil, missingParameter(at + ".strict"), false
		case fields["parameters"] == nil:
			return nil, nil, missingParameter(at + ".parameters"), false
		case slices.Contains(names, name):
			return nil, nil, invalidRequest(at+".name", "duplicate_value", "Duplicate function name '%s' in tools.", name), false
		}
		names = append(names, name)
	}
	return tools, names, reply{}, true
}

// checkCallOutputs checks that the input's function outputs match the
// function calls still pending in history: every output names a pending
// call, and every pending call gets an output.
func checkCallOutputs(history, input []item) (reply, bool) {
	pending := pendingCalls(history)
	answered := map[string]bool{}
	for _, it := range input {
		if it.kind != "function_call_output" {
			continue
		}
		if !slices.Contains(pending, it.callID) {
			return invalidRequest("input", "invalid_value", "No tool call found for function call output with call_id %s.", it.callID), false
		}
		answered[it.callID] = true
	}
	for _, id := range pending {
		if !answered[id] {
			return invalidRequest("input", "invalid_value", "No tool output found for function call %s.", id), false
		}
	}
	return reply{}, true
}

// nextTurn removes and returns the first queued turn, or builds the
// default reply to input.
func (s *Server) nextTurn(input []item) Turn {
	s.mu.Lock()
	if len(s.turns) > 0 {
		turn := s.turns[0]
		s.turns = s.turns[1:]
		s.mu.Unlock()
		return turn
	}
	s.mu.Unlock()

	var message string
	var outputs []string
	for _, it := range input {
		switch {
		case it.kind == "message" && it.role == "user":
			message = it.text
		case it.kind == "function_call_output":
			outputs = append(outputs, it.output)
		}
	}
	if message == "" && len(outputs) > 0 {
		return Turn{Text: "Results: " + strings.Join(outputs, "; ")}
	}
	return Turn{Text: "Echo: " + message}
}

// buildResponse returns the response body for turn and its output items.
func (s *Server) buildResponse(req responseRequest, history []item, turn Turn) (responseBody, []item) {
	now := time.Now().Unix()
	body := responseBody{
		ID:                 "resp_" + randomHex(24),
		Object:             "response",
		CreatedAt:          now,
		CompletedAt:        &now,
		Status:             "completed",
		Model:              req.model,
		Output:             []outputItem{},
		Tools:              req.tools,
		ToolChoice:         "auto",
		ParallelToolCalls:  true,
		Metadata:           map[string]string{},
		Temperature:        1,
		TopP:               1,
		Instructions:       nullable(req.instructions),
		PreviousResponseID: nullable(req.previousID),
		SafetyIdentifier:   nullable(req.safetyID),
	}
	if req.conversationID != "" {
		body.Conversation = &conversationRef{ID: req.conversationID}
	}

	var output []item
	for _, c := range turn.Calls {
		call := item{kind: "function_call", callID: "call_" + randomHex(12), name: c.Name, arguments: c.Arguments}
		output = append(output, call)
		body.Output = append(body.Output, outputItem{
			Type: "function_call", ID: "fc_" + randomHex(12), Status: "completed",
			CallID: call.callID, Name: call.name, Arguments: &call.arguments,
		})
	}
	if turn.Text != "" || len(turn.Calls) == 0 {
		text := turn.Text
		status := "completed"
		if req.maxOutput > 0 && PromptTokens(text) > req.maxOutput {
			// Cut the text at the token limit, where a model stops.
			text = string([]rune(text)[:4*req.maxOutput])
			status = "incomplete"
			body.Status = "incomplete"
			body.CompletedAt = nil
			body.IncompleteDetails = &incompleteDetails{Reason: "max_output_tokens"}
		}
		output = append(output, item{kind: "message", role: "assistant", text: text})
		body.Output = append(body.Output, outputItem{
			Type: "message", ID: "msg_" + randomHex(12), Status: status, Role: "assistant",
			Content: []outputText{{Type: "output_text", Text: text, Annotations: []any{}, Logprobs: []any{}}},
		})
	}

	input := PromptTokens(req.instructions)
	for _, it := range slices.Concat(history, req.input) {
		input += it.tokens()
	}
	out := 0
	for _, it := range output {
		out += it.tokens()
	}
	body.Usage = responseUsage{InputTokens: input, OutputTokens: out, TotalTokens: input + out}
	return body, output
}
