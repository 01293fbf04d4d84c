package fakeopenai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"io"
	"net/http"
	"regexp"
	"testing"

	openai "github.com/sashabaranov/go-openai"
	"github.com/tallybot/tally/fakes/spec"
)

const testKey = "sk-test-key"

var requestIDPattern = regexp.MustCompile(`^req_[0-9a-f]{32}$`)

// newServer starts a server with opts, using testKey when opts sets no key,
// and closes it when the test ends.
func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return s
}

// newClient returns a go-openai client for s with the test key.
func newClient(s *Server) *openai.Client {
	config := openai.DefaultConfig(testKey)
	config.BaseURL = s.URL()
	return openai.NewClientWithConfig(config)
}

// httpResult is a response read in full.
type httpResult struct {
	status int
	header http.Header
	body   []byte
}

// send sends a request with the test key to s and reads the response.
func send(t *testing.T, s *Server, method, path, contentType string, body []byte) httpResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.origin()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return httpResult{status: resp.StatusCode, header: resp.Header, body: data}
}

func postJSON(t *testing.T, s *Server, path, body string) httpResult {
	t.Helper()
	return send(t, s, http.MethodPost, path, "application/json", []byte(body))
}

// decodeError decodes an OpenAI error body, failing the test unless the
// body has exactly the four fields of OpenAI's error shape.
func decodeError(t *testing.T, body []byte) errorDetail {
	t.Helper()
	var shape struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &shape); err != nil {
		t.Fatalf("decode error body %q: %v", body, err)
	}
	for _, field := range []string{"message", "type", "param", "code"} {
		if _, ok := shape.Error[field]; !ok {
			t.Errorf("error body %s lacks field %q", body, field)
		}
	}
	var decoded errorBody
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("decode error body %q: %v", body, err)
	}
	return decoded.Error
}

// deref returns *s, or "<null>" for nil.
func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// decodeImage decodes base64 image data with the decoder registered for
// its format and returns the image and the format name.
func decodeImage(t *testing.T, b64 string) (image.Image, string) {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("decode base64: %v", err)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode image: %v", err)
	}
	return img, format
}

// apiError returns err as a go-openai *APIError, failing the test if it is
// not one.
func apiError(t *testing.T, err error) *openai.APIError {
	t.Helper()
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *openai.APIError", err, err)
	}
	return apiErr
}

// loadValidator returns the OpenAI spec validator, skipping the test when
// the specs folder is missing outside CI.
func loadValidator(t *testing.T) *spec.Validator {
	t.Helper()
	v, err := spec.OpenAI()
	if errors.Is(err, spec.ErrSpecsMissing) && !spec.Required() {
		t.Skipf("skip spec validation: %v", err)
	}
	if err != nil {
		t.Fatalf("load OpenAI validator: %v", err)
	}
	return v
}

// readAll reads and closes resp's body.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return data
}
