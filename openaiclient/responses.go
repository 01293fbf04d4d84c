package openaiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Conversation is a conversation created on the server, which keeps the
// items of every response made in it.
type Conversation struct {
	ID        string
	RequestID string
	Attempts  int
}

// CreateConversation creates an empty conversation with POST
// /conversations through the adapter, because go-openai v1.43.0 has no
// conversations endpoint. metadata may be nil. Errors are *Error.
func (c *Client) CreateConversation(ctx context.Context, metadata map[string]string) (Conversation, error) {
	const operation = "POST /conversations"
	request := struct {
		Metadata map[string]string `json:"metadata,omitempty"`
	}{Metadata: metadata}

	var response struct {
		ID string `json:"id"`
	}
	record, err := c.run(ctx, operation, func(ctx context.Context) error {
		return c.sendJSON(ctx, http.MethodPost, "/conversations", request, &response)
	})
	conversation := Conversation{ID: response.ID, RequestID: record.requestID, Attempts: record.attempts}
	if err != nil {
		return conversation, err
	}
	if response.ID == "" {
		return conversation, undecodable(operation, record, errors.New("conversation has no id"))
	}
	return conversation, nil
}

// FunctionTool is a function the model may ask the caller to run.
type FunctionTool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of the arguments object.
	Parameters json.RawMessage
	// Strict makes the model's arguments follow Parameters exactly. It is
	// always sent, because the API requires the field.
	Strict bool
}

// FunctionOutput is the result of a function call, sent back to the model.
type FunctionOutput struct {
	CallID string
	// Output is the text the model reads, such as a JSON document or an
	// error message for a call that failed.
	Output string
}

// ResponseRequest is one model response in a conversation: a run for a
// member's message, or a tool run that returns function outputs.
type ResponseRequest struct {
	Model          string
	ConversationID string
	Instructions   string
	// Message is the member's text. FunctionOutputs are the results of the
	// previous response's function calls. At least one of the two is required.
	Message         string
	FunctionOutputs []FunctionOutput
	Tools           []FunctionTool
	// MaxOutputTokens limits the output, reasoning included. Zero means no limit.
	MaxOutputTokens int
	// SafetyID is the member's hashed identifier from SafetyID, sent as
	// safety_identifier, or empty.
	SafetyID string
}

// FunctionCall is a function the model asked the caller to run.
type FunctionCall struct {
	CallID string
	Name   string
	// Arguments is the JSON arguments object as the model wrote it.
	Arguments string
}

// ResponseResult is the outcome of one model response.
type ResponseResult struct {
	ID string
	// Status is "completed", "incomplete" or "failed".
	Status string
	// IncompleteReason is the cause that stopped an incomplete response,
	// such as "max_output_tokens" or "content_filter".
	IncompleteReason string
	// ErrorCode and ErrorMessage describe a failed response.
	ErrorCode     string
	ErrorMessage  string
	Text          string
	FunctionCalls []FunctionCall
	Usage         Usage
	RequestID     string
	Model         string
	Attempts      int
}

// CreateResponse creates a model response with POST /responses through
// go-openai's CreateResponse. Errors are *Error. A response whose status is
// failed or incomplete is not an error: OpenAI bills its usage, so the
// result reports the status and the usage together.
func (c *Client) CreateResponse(ctx context.Context, req ResponseRequest) (ResponseResult, error) {
	const operation = "POST /responses"
	result := ResponseResult{Model: req.Model}
	apiRequest, err := responseRequest(req)
	if err != nil {
		return result, invalidInput(operation, err)
	}

	var response openai.CreateResponseResponse
	record, err := c.run(ctx, operation, func(ctx context.Context) error {
		var err error
		response, err = c.api.CreateResponse(ctx, apiRequest)
		return err
	})
	result.Attempts = record.attempts
	result.RequestID = record.requestID
	if err != nil {
		return result, err
	}

	var body struct {
		Output []openai.ResponseOutputItem `json:"output"`
	}
	if err := json.Unmarshal(record.body, &body); err != nil {
		return result, undecodable(operation, record, fmt.Errorf("decode output items: %w", err))
	}

	result.ID = response.ID
	result.Status = string(response.Status)
	if response.Model != "" {
		result.Model = response.Model
	}
	if response.IncompleteDetails != nil {
		result.IncompleteReason = response.IncompleteDetails.Reason
	}
	if response.Error != nil {
		result.ErrorCode = response.Error.Code
		result.ErrorMessage = response.Error.Message
	}
	result.Text = response.GetOutputText()
	for _, item := range body.Output {
		if item.Type == "function_call" {
			result.FunctionCalls = append(result.FunctionCalls, FunctionCall{CallID: item.CallID, Name: item.Name, Arguments: item.Arguments})
		}
	}
	result.Usage = responseUsage(response.Usage)
	return result, nil
}

// responseRequest builds go-openai's request. Function tools are built by
// hand because go-openai's NewResponseFunctionTool omits strict when it is
// false, and the API requires the field.
func responseRequest(req ResponseRequest) (openai.CreateResponseRequest, error) {
	switch {
	case req.Model == "":
		return openai.CreateResponseRequest{}, errors.New("missing model")
	case strings.TrimSpace(req.Message) == "" && len(req.FunctionOutputs) == 0:
		return openai.CreateResponseRequest{}, errors.New("missing input: send a message or function outputs")
	case req.MaxOutputTokens < 0:
		return openai.CreateResponseRequest{}, fmt.Errorf("invalid max output tokens %d: want 0 or more", req.MaxOutputTokens)
	case !validSafetyID(req.SafetyID):
		return openai.CreateResponseRequest{}, errors.New("invalid safety ID: pass the value SafetyID returns, never a raw user ID")
	}

	input := make([]any, 0, len(req.FunctionOutputs)+1)
	for _, output := range req.FunctionOutputs {
		if output.CallID == "" {
			return openai.CreateResponseRequest{}, errors.New("missing call ID in a function output")
		}
		input = append(input, openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: output.CallID, Output: output.Output})
	}
	if strings.TrimSpace(req.Message) != "" {
		input = append(input, openai.ResponseInputMessage{Type: "message", Role: "user", Content: req.Message})
	}

	tools := make([]openai.ResponseTool, 0, len(req.Tools))
	for _, tool := range req.Tools {
		if tool.Name == "" {
			return openai.CreateResponseRequest{}, errors.New("missing function tool name")
		}
		if !json.Valid(tool.Parameters) || !bytes.HasPrefix(bytes.TrimSpace(tool.Parameters), []byte("{")) {
			return openai.CreateResponseRequest{}, fmt.Errorf("invalid parameters schema for function tool %s: want a JSON object", tool.Name)
		}
		parameters := map[string]any{"name": tool.Name, "parameters": tool.Parameters, "strict": tool.Strict}
		if tool.Description != "" {
			parameters["description"] = tool.Description
		}
		tools = append(tools, openai.ResponseTool{Type: openai.ToolTypeFunction, Parameters: parameters})
	}

	apiRequest := openai.CreateResponseRequest{
		Model:            req.Model,
		Instructions:     req.Instructions,
		Input:            input,
		Tools:            tools,
		MaxOutputTokens:  req.MaxOutputTokens,
		SafetyIdentifier: req.SafetyID,
	}
	if req.ConversationID != "" {
		apiRequest.Conversation = req.ConversationID
	}
	return apiRequest, nil
}

// responseUsage maps a Responses API usage object to Usage. Cached tokens
// are part of input_tokens and reasoning tokens part of output_tokens, so
// the cached ones are taken out of TextInputTokens. Input images are not
// reported apart from text, so they count as text input.
func responseUsage(usage *openai.ResponseUsage) Usage {
	if usage == nil {
		return Usage{}
	}
	var cached, reasoning int64
	if usage.InputTokensDetails != nil {
		cached = int64(usage.InputTokensDetails.CachedTokens)
	}
	if usage.OutputTokensDetails != nil {
		reasoning = int64(usage.OutputTokensDetails.ReasoningTokens)
	}
	return Usage{
		TextInputTokens:   max(int64(usage.InputTokens)-cached, 0),
		CachedInputTokens: cached,
		TextOutputTokens:  int64(usage.OutputTokens),
		ReasoningTokens:   reasoning,
	}
}
