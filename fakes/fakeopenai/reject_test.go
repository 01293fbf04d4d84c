package fakeopenai

import (
	"net/http"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// wantError is the expected status and error fields of a rejected request.
type wantError struct {
	status int
	typ    string
	param  string // "<null>" for JSON null
	code   string // "<null>" for JSON null
}

func checkError(t *testing.T, res httpResult, want wantError) {
	t.Helper()
	if res.status != want.status {
		t.Errorf("status = %d, want %d; body %s", res.status, want.status, res.body)
	}
	got := decodeError(t, res.body)
	if got.Type != want.typ {
		t.Errorf("type = %q, want %q", got.Type, want.typ)
	}
	if p := deref(got.Param); p != want.param {
		t.Errorf("param = %q, want %q", p, want.param)
	}
	if c := deref(got.Code); c != want.code {
		t.Errorf("code = %q, want %q", c, want.code)
	}
	if got.Message == "" {
		t.Error("message is empty")
	}
	if id := res.header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		t.Errorf("x-request-id = %q, want req_ and 32 hex digits", id)
	}
}

func TestGenerationRejects(t *testing.T) {
	s := newServer(t, Options{})
	const path = "/v1/images/generations"
	badRequest := func(param, code string) wantError {
		return wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code}
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		want        wantError
	}{
		{name: "response_format", body: `{"model":"gpt-image-2","prompt":"x","response_format":"b64_json"}`,
			want: badRequest("response_format", "unknown_parameter")},
		{name: "response_format null", body: `{"model":"gpt-image-2","prompt":"x","response_format":null}`,
			want: badRequest("response_format", "unknown_parameter")},
		{name: "unknown field", body: `{"model":"gpt-image-2","prompt":"x","colour":"red"}`,
			want: badRequest("colour", "unknown_parameter")},
		{name: "wrong content type", contentType: "text/plain", body: `{"model":"gpt-image-2","prompt":"x"}`,
			want: badRequest("<null>", "unsupported_content_type")},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: `prompt=x`,
			want: badRequest("<null>", "unsupported_content_type")},
		{name: "body not JSON", body: `{"model":`, want: badRequest("<null>", "<null>")},
		{name: "body an array", body: `[]`, want: badRequest("<null>", "<null>")},
		{name: "prompt missing", body: `{"model":"gpt-image-2"}`, want: badRequest("prompt", "missing_required_parameter")},
		{name: "prompt empty", body: `{"model":"gpt-image-2","prompt":""}`, want: badRequest("prompt", "string_below_min_length")},
		{name: "prompt not a string", body: `{"model":"gpt-image-2","prompt":7}`, want: badRequest("prompt", "invalid_type")},
		{name: "n zero", body: `{"model":"gpt-image-2","prompt":"x","n":0}`, want: badRequest("n", "integer_below_min_value")},
		{name: "n eleven", body: `{"model":"gpt-image-2","prompt":"x","n":11}`, want: badRequest("n", "integer_above_max_value")},
		{name: "n a string", body: `{"model":"gpt-image-2","prompt":"x","n":"2"}`, want: badRequest("n", "invalid_type")},
		{name: "n fractional", body: `{"model":"gpt-image-2","prompt":"x","n":1.5}`, want: badRequest("n", "invalid_type")},
		{name: "size for dall-e", body: `{"model":"gpt-image-2","prompt":"x","size":"512x512"}`, want: badRequest("size", "invalid_value")},
		{name: "quality hd", body: `{"model":"gpt-image-2","prompt":"x","quality":"hd"}`, want: badRequest("quality", "invalid_value")},
		{name: "output format gif", body: `{"model":"gpt-image-2","prompt":"x","output_format":"gif"}`, want: badRequest("output_format", "invalid_value")},
		{name: "transparent jpeg", body: `{"model":"gpt-image-2","prompt":"x","background":"transparent","output_format":"jpeg"}`,
			want: badRequest("background", "invalid_value")},
		{name: "stream", body: `{"model":"gpt-image-2","prompt":"x","stream":true}`, want: badRequest("stream", "unsupported_value")},
		{name: "model absent means dall-e-2", body: `{"prompt":"x"}`, want: badRequest("model", "invalid_value")},
		{name: "model unknown", body: `{"model":"gpt-image-9","prompt":"x"}`,
			want: wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			contentType := tc.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			res := send(t, s, http.MethodPost, path, contentType, []byte(tc.body))
			checkError(t, res, tc.want)
		})
	}
}

func TestAPIKeyRejects(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name   string
		header string
	}{
		{name: "missing", header: ""},
		{name: "wrong key", header: "Bearer sk-other"},
		{name: "not bearer", header: "Basic " + testKey},
		{name: "empty bearer", header: "Bearer "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/models", nil)
			if err != nil {
				t.Fatalf("build request: %v", err)
			}
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("GET /v1/models: %v", err)
			}
			defer resp.Body.Close()
			res := httpResult{status: resp.StatusCode, header: resp.Header}
			res.body = readAll(t, resp)
			checkError(t, res, wantError{status: http.StatusUnauthorized, typ: "invalid_request_error", param: "<null>", code: "invalid_api_key"})
		})
	}
}

func TestAPIKeyRejectsGoOpenAI(t *testing.T) {
	s := newServer(t, Options{})
	config := openai.DefaultConfig("sk-wrong")
	config.BaseURL = s.URL()
	client := openai.NewClientWithConfig(config)

	_, err := client.CreateImage(t.Context(), openai.ImageRequest{Model: "gpt-image-2", Prompt: "x"})
	apiErr := apiError(t, err)
	if apiErr.HTTPStatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", apiErr.HTTPStatusCode)
	}
	if apiErr.Code != "invalid_api_key" {
		t.Errorf("code = %v, want invalid_api_key", apiErr.Code)
	}
}

func TestInvalidURL(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name   string
		method string
		path   string
	}{
		{name: "unknown path", method: http.MethodPost, path: "/v1/images/upscale"},
		{name: "wrong method", method: http.MethodGet, path: "/v1/images/generations"},
		{name: "outside v1", method: http.MethodGet, path: "/models"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, s, tc.method, tc.path, "", nil)
			checkError(t, res, wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: "<null>", code: "<null>"})
		})
	}
}
