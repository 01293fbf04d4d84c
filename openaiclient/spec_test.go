package openaiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	openai "github.com/sashabaranov/go-openai"
)

// The published OpenAPI document is the referee for the requests the
// client sends. It lives outside the repository, in TALLY_SPECS_DIR or
// ../shared/specs beside the repository root.

var (
	specOnce      sync.Once
	specValidator validator.Validator
	specErr       string
)

// openAPIValidator loads openai-tally.yaml once per test binary. It skips
// the test when the folder is absent, unless CI is set.
func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	dir := os.Getenv("TALLY_SPECS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "specs")
	}
	path := filepath.Join(dir, "openai-tally.yaml")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("OpenAPI document %s not found: set TALLY_SPECS_DIR", path)
		}
		t.Skipf("OpenAPI document %s not found, so spec validation is skipped; set TALLY_SPECS_DIR to run it", path)
	}

	specOnce.Do(func() {
		spec, err := os.ReadFile(path)
		if err != nil {
			specErr = err.Error()
			return
		}
		document, err := libopenapi.NewDocument(spec)
		if err != nil {
			specErr = err.Error()
			return
		}
		v, errs := validator.NewValidator(document)
		if len(errs) > 0 {
			specErr = errs[0].Error()
			return
		}
		specValidator = v
	})
	if specErr != "" {
		t.Fatalf("load OpenAPI document %s: %s", path, specErr)
	}
	return specValidator
}

func TestRequestsMatchOpenAPISpec(t *testing.T) {
	v := openAPIValidator(t)
	safetyID := SafetyID([]byte("0123456789abcdef0123456789abcdef"), "333")
	schema := json.RawMessage(`{"type":"object","properties":{"period":{"type":"string"}},"required":["period"],"additionalProperties":false}`)
	imagesBody := `{"created":1,"data":[{"b64_json":"iVBORw0KGgo="}]}`
	responseBody := `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-5-mini","output":[]}`

	tests := []struct {
		name string
		body string
		call func(ctx context.Context, client *Client) error
	}{
		{
			name: "generation with every GPT field",
			body: imagesBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.GenerateImages(ctx, ImageRequest{
					Model: "gpt-image-2", Prompt: "a red cube", Size: "1024x1024", Quality: "high",
					Count: 2, OutputFormat: "webp", OutputCompression: 80, SafetyID: safetyID,
				})
				return err
			},
		},
		{
			name: "generation with dall-e-3",
			body: imagesBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.GenerateImages(ctx, ImageRequest{Model: "dall-e-3", Prompt: "a red cube", Count: 1, SafetyID: safetyID})
				return err
			},
		},
		{
			name: "edit with every GPT field",
			body: imagesBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.EditImages(ctx, EditRequest{
					Model: "gpt-image-2", Prompt: "a close variation", Image: pngImage(t, 4, 4, true),
					Size: "1024x1024", Quality: "low", Count: 2, OutputFormat: "jpeg", OutputCompression: 60, SafetyID: safetyID,
				})
				return err
			},
		},
		{
			name: "edit with dall-e-2 and a mask",
			body: imagesBody,
			call: func(ctx context.Context, client *Client) error {
				image := pngImage(t, 4, 4, true)
				_, err := client.EditImages(ctx, EditRequest{Model: "dall-e-2", Prompt: "p", Image: image, Mask: image, SafetyID: safetyID})
				return err
			},
		},
		{
			name: "variation",
			body: imagesBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.VaryImage(ctx, VariationRequest{Model: "dall-e-2", Image: pngImage(t, 4, 4, true), Count: 2, Size: "256x256", SafetyID: safetyID})
				return err
			},
		},
		{
			name: "model list",
			body: `{"object":"list","data":[]}`,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.CheckModels(ctx, []string{"gpt-image-2"})
				return err
			},
		},
		{
			name: "conversation",
			body: `{"id":"conv_1","object":"conversation","created_at":1,"metadata":{}}`,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.CreateConversation(ctx, map[string]string{"discord_channel_id": "222"})
				return err
			},
		},
		{
			name: "response with strict and non-strict tools",
			body: responseBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.CreateResponse(ctx, ResponseRequest{
					Model: "gpt-5-mini", ConversationID: "conv_1", Instructions: "Be brief.", Message: "hi",
					Tools: []FunctionTool{
						{Name: "my_usage", Description: "Returns the caller's usage.", Parameters: schema, Strict: true},
						{Name: "current_time", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
					},
					MaxOutputTokens: 500, SafetyID: safetyID,
				})
				return err
			},
		},
		{
			name: "response with function outputs",
			body: responseBody,
			call: func(ctx context.Context, client *Client) error {
				_, err := client.CreateResponse(ctx, ResponseRequest{
					Model: "gpt-5-mini", ConversationID: "conv_1",
					FunctionOutputs: []FunctionOutput{{CallID: "call_1", Output: `{"today":"$0.04"}`}, {CallID: "call_2", Output: "error: failed"}},
				})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: tt.body})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			if err := tt.call(context.Background(), client); err != nil {
				t.Fatalf("call: %v", err)
			}

			for _, recorded := range server.received() {
				request, err := http.NewRequest(recorded.Method, "https://api.openai.com"+recorded.Path, bytes.NewReader(recorded.Body))
				if err != nil {
					t.Fatalf("rebuild request: %v", err)
				}
				request.Header = recorded.Header.Clone()

				valid, errs := v.ValidateHttpRequest(request)

				if !valid {
					var reasons []string
					for _, e := range errs {
						reasons = append(reasons, e.Message+": "+e.Reason)
						for _, schemaErr := range e.SchemaValidationErrors {
							reasons = append(reasons, "  "+schemaErr.FieldPath+": "+schemaErr.Reason)
						}
					}
					t.Errorf("%s %s breaks the OpenAPI document:\n%s", recorded.Method, recorded.Path, strings.Join(reasons, "\n"))
				}
			}
		})
	}
}

func TestOpenAPISpecRejectsToolWithoutStrict(t *testing.T) {
	v := openAPIValidator(t)
	// go-openai's NewResponseFunctionTool omits strict when it is false,
	// which is why responseRequest builds function tools by hand.
	tool := openai.NewResponseFunctionTool(openai.FunctionDefinition{Name: "current_time", Parameters: map[string]any{"type": "object"}})
	body, err := json.Marshal(openai.CreateResponseRequest{Model: "gpt-5-mini", Input: "hi", Tools: []openai.ResponseTool{tool}})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	request, err := http.NewRequest(http.MethodPost, "https://api.openai.com/v1/responses", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Authorization", "Bearer "+testAPIKey)

	if valid, _ := v.ValidateHttpRequest(request); valid {
		t.Errorf("validator accepted %s, want a rejection for the missing strict field", body)
	}
}
