package openaiclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// imagesResponse returns a JSON images response carrying the given files
// as base64 and the given usage object (omitted when empty).
func imagesResponse(t *testing.T, usage string, files ...[]byte) string {
	t.Helper()
	data := make([]map[string]string, len(files))
	for i, file := range files {
		data[i] = map[string]string{"b64_json": base64.StdEncoding.EncodeToString(file)}
	}
	encoded, err := json.Marshal(data)
	if err != nil {
		t.Fatalf("encode data: %v", err)
	}
	if usage == "" {
		return fmt.Sprintf(`{"created":1713833628,"data":%s}`, encoded)
	}
	return fmt.Sprintf(`{"created":1713833628,"data":%s,"usage":%s}`, encoded, usage)
}

func TestGenerateImagesRequestBody(t *testing.T) {
	safetyKey := []byte("0123456789abcdef0123456789abcdef")
	safetyID := SafetyID(safetyKey, "333")
	tests := []struct {
		name    string
		request ImageRequest
		want    map[string]any
	}{
		{
			name: "gpt image model without response_format",
			request: ImageRequest{
				Model: "gpt-image-2", Prompt: "a red cube", Size: "1024x1024", Quality: "high",
				Count: 2, OutputFormat: "jpeg", OutputCompression: 80, SafetyID: safetyID,
			},
			want: map[string]any{
				"model": "gpt-image-2", "prompt": "a red cube", "size": "1024x1024", "quality": "high",
				"n": float64(2), "output_format": "jpeg", "output_compression": float64(80), "user": safetyID,
			},
		},
		{
			name:    "unset fields omitted",
			request: ImageRequest{Model: "gpt-image-2", Prompt: "a red cube"},
			want:    map[string]any{"model": "gpt-image-2", "prompt": "a red cube"},
		},
		{
			name: "dall-e asks for base64 and drops GPT-only fields",
			request: ImageRequest{
				Model: "dall-e-3", Prompt: "a red cube", Count: 1, OutputFormat: "webp", OutputCompression: 50, SafetyID: safetyID,
			},
			want: map[string]any{
				"model": "dall-e-3", "prompt": "a red cube", "n": float64(1), "response_format": "b64_json", "user": safetyID,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 2, 2, false))})
			client, _ := newTestClient(t, server.baseURL(), Config{SafetyKey: safetyKey})

			if _, err := client.GenerateImages(context.Background(), tt.request); err != nil {
				t.Fatalf("GenerateImages: %v", err)
			}

			requests := server.received()
			if len(requests) != 1 {
				t.Fatalf("server received %d requests, want 1", len(requests))
			}
			got := requests[0]
			if got.Method != http.MethodPost || got.Path != "/v1/images/generations" {
				t.Errorf("request line = %s %s, want POST /v1/images/generations", got.Method, got.Path)
			}
			if auth := got.Header.Get("Authorization"); auth != "Bearer "+testAPIKey {
				t.Errorf("Authorization = %q, want the bearer key", auth)
			}
			var body map[string]any
			if err := json.Unmarshal(got.Body, &body); err != nil {
				t.Fatalf("decode request body %s: %v", got.Body, err)
			}
			if diff := cmp.Diff(body, tt.want); diff != "" {
				t.Errorf("request body mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestGenerateImagesResult(t *testing.T) {
	first := pngImage(t, 2, 2, false)
	second := pngImage(t, 3, 3, true)
	tests := []struct {
		name      string
		usage     string
		want      Usage
		wantCount int
	}{
		{
			name: "input and output details",
			usage: `{"total_tokens":4410,"input_tokens":50,"output_tokens":4360,
				"input_tokens_details":{"text_tokens":50,"image_tokens":0},
				"output_tokens_details":{"text_tokens":200,"image_tokens":4160}}`,
			want: Usage{TextInputTokens: 50, TextOutputTokens: 200, ImageOutputTokens: 4160, Images: 2, Reported: true},
		},
		{
			name: "output details missing",
			usage: `{"total_tokens":4210,"input_tokens":50,"output_tokens":4160,
				"input_tokens_details":{"text_tokens":50,"image_tokens":0}}`,
			want: Usage{TextInputTokens: 50, ImageOutputTokens: 4160, Images: 2, Reported: true},
		},
		{
			name: "totals above details count as image tokens",
			usage: `{"total_tokens":4430,"input_tokens":60,"output_tokens":4370,
				"input_tokens_details":{"text_tokens":50,"image_tokens":0},
				"output_tokens_details":{"text_tokens":200,"image_tokens":4160}}`,
			want: Usage{TextInputTokens: 50, ImageInputTokens: 10, TextOutputTokens: 200, ImageOutputTokens: 4170, Images: 2, Reported: true},
		},
		{
			name:  "no usage from a dall-e server",
			usage: "",
			want:  Usage{Images: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{
				status: http.StatusOK,
				header: map[string]string{"x-request-id": "req_abc123"},
				body:   imagesResponse(t, tt.usage, first, second),
			})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			got, err := client.GenerateImages(context.Background(), ImageRequest{Model: "gpt-image-2", Prompt: "a red cube", Count: 2})
			if err != nil {
				t.Fatalf("GenerateImages: %v", err)
			}

			want := ImageResult{
				Images:    [][]byte{first, second},
				Format:    "png",
				Usage:     tt.want,
				RequestID: "req_abc123",
				Model:     "gpt-image-2",
				Attempts:  1,
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("result mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestGenerateImagesDownloadsURLs(t *testing.T) {
	file := jpegImage(t, 4)
	downloads := make(chan recordedRequest, 1)
	server := newScriptedServer(t, reply{})
	server.replies[0].handle = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/files/image-1.jpg" {
			downloads <- recordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
			w.Write(file)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"created":1,"data":[{"url":%q}]}`, server.URL+"/files/image-1.jpg")
	}
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.GenerateImages(context.Background(), ImageRequest{Model: "dall-e-2", Prompt: "a red cube"})
	if err != nil {
		t.Fatalf("GenerateImages: %v", err)
	}

	if diff := cmp.Diff(got.Images, [][]byte{file}); diff != "" {
		t.Errorf("images mismatch (-got +want):\n%s", diff)
	}
	if got.Format != "jpeg" {
		t.Errorf("format = %q, want jpeg", got.Format)
	}
	download := <-downloads
	if download.Method != http.MethodGet {
		t.Errorf("download method = %q, want GET", download.Method)
	}
	if auth := download.Header.Get("Authorization"); auth != "" {
		t.Errorf("download sent Authorization %q, want none", auth)
	}
}

func TestGenerateImagesDownloadFailure(t *testing.T) {
	server := newScriptedServer(t, reply{})
	server.replies[0].handle = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/files/gone.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-request-id", "req_gone")
		fmt.Fprintf(w, `{"created":1,"data":[{"url":%q}]}`, server.URL+"/files/gone.png")
	}
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.GenerateImages(context.Background(), ImageRequest{Model: "dall-e-2", Prompt: "a red cube"})

	if failure := Classify(err); failure != FailureUnknownOutcome {
		t.Errorf("Classify(%v) = %s, want unknown_outcome", err, failure)
	}
	if got.RequestID != "req_gone" {
		t.Errorf("request ID = %q, want req_gone", got.RequestID)
	}
	if got.Usage.Images != 1 {
		t.Errorf("usage images = %d, want 1 for the billed image", got.Usage.Images)
	}
}

func TestGenerateImagesInvalidInput(t *testing.T) {
	tests := []struct {
		name    string
		request ImageRequest
	}{
		{name: "raw user ID as safety ID", request: ImageRequest{Model: "gpt-image-2", Prompt: "cube", SafetyID: "333"}},
		{name: "missing prompt", request: ImageRequest{Model: "gpt-image-2", Prompt: " "}},
		{name: "missing model", request: ImageRequest{Prompt: "cube"}},
		{name: "count above ten", request: ImageRequest{Model: "gpt-image-2", Prompt: "cube", Count: 11}},
		{name: "compression above 100", request: ImageRequest{Model: "gpt-image-2", Prompt: "cube", OutputCompression: 101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, false))})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			_, err := client.GenerateImages(context.Background(), tt.request)

			if failure := Classify(err); failure != FailureInvalidInput {
				t.Errorf("Classify(%v) = %s, want invalid_input", err, failure)
			}
			var clientErr *Error
			if !errors.As(err, &clientErr) || clientErr.Attempts != 0 {
				t.Errorf("error %v: want an *Error with 0 attempts", err)
			}
			if n := len(server.received()); n != 0 {
				t.Errorf("server received %d requests, want 0", n)
			}
		})
	}
}
