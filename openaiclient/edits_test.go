package openaiclient

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// formPart is one part of a parsed multipart form.
type formPart struct {
	FileName    string
	ContentType string
	Value       string
}

// parseForm parses a recorded multipart request into its parts by name,
// and returns the contents of the file parts separately.
func parseForm(t *testing.T, request recordedRequest) (map[string]formPart, map[string][]byte) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(request.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("Content-Type = %q, want multipart/form-data", request.Header.Get("Content-Type"))
	}
	reader := multipart.NewReader(bytes.NewReader(request.Body), params["boundary"])
	parts := map[string]formPart{}
	files := map[string][]byte{}
	for {
		part, err := reader.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read form part: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read form part %s: %v", part.FormName(), err)
		}
		if _, seen := parts[part.FormName()]; seen {
			t.Errorf("form part %s appears twice", part.FormName())
		}
		got := formPart{FileName: part.FileName()}
		if got.FileName != "" {
			got.ContentType = part.Header.Get("Content-Type")
			files[part.FormName()] = data
		} else {
			got.Value = string(data)
		}
		parts[part.FormName()] = got
	}
	return parts, files
}

func TestEditImagesForm(t *testing.T) {
	safetyKey := []byte("0123456789abcdef0123456789abcdef")
	safetyID := SafetyID(safetyKey, "333")
	squarePNG := pngImage(t, 4, 4, true)
	photo := jpegImage(t, 4)
	webp := webpHeader()
	tests := []struct {
		name    string
		request EditRequest
		want    map[string]formPart
		image   []byte
	}{
		{
			name:    "png with only required fields",
			request: EditRequest{Model: "gpt-image-2", Prompt: "a close variation", Image: squarePNG},
			want: map[string]formPart{
				"image":  {FileName: "image.png", ContentType: "image/png"},
				"model":  {Value: "gpt-image-2"},
				"prompt": {Value: "a close variation"},
			},
			image: squarePNG,
		},
		{
			name: "jpeg with every GPT field",
			request: EditRequest{
				Model: "gpt-image-2", Prompt: "make it blue", Image: photo, Size: "1024x1536", Quality: "low",
				Count: 3, OutputFormat: "webp", OutputCompression: 70, SafetyID: safetyID,
			},
			want: map[string]formPart{
				"image":              {FileName: "image.jpg", ContentType: "image/jpeg"},
				"model":              {Value: "gpt-image-2"},
				"prompt":             {Value: "make it blue"},
				"n":                  {Value: "3"},
				"size":               {Value: "1024x1536"},
				"quality":            {Value: "low"},
				"output_format":      {Value: "webp"},
				"output_compression": {Value: "70"},
				"user":               {Value: safetyID},
			},
			image: photo,
		},
		{
			name:    "webp",
			request: EditRequest{Model: "gpt-image-2", Prompt: "p", Image: webp},
			want: map[string]formPart{
				"image":  {FileName: "image.webp", ContentType: "image/webp"},
				"model":  {Value: "gpt-image-2"},
				"prompt": {Value: "p"},
			},
			image: webp,
		},
		{
			name:    "dall-e-2 with mask asks for base64",
			request: EditRequest{Model: "dall-e-2", Prompt: "p", Image: squarePNG, Mask: squarePNG, OutputFormat: "jpeg"},
			want: map[string]formPart{
				"image":           {FileName: "image.png", ContentType: "image/png"},
				"mask":            {FileName: "mask.png", ContentType: "image/png"},
				"model":           {Value: "dall-e-2"},
				"prompt":          {Value: "p"},
				"response_format": {Value: "b64_json"},
			},
			image: squarePNG,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, false))})
			client, _ := newTestClient(t, server.baseURL(), Config{SafetyKey: safetyKey})

			if _, err := client.EditImages(context.Background(), tt.request); err != nil {
				t.Fatalf("EditImages: %v", err)
			}

			requests := server.received()
			if len(requests) != 1 {
				t.Fatalf("server received %d requests, want 1", len(requests))
			}
			if got := requests[0].Method + " " + requests[0].Path; got != "POST /v1/images/edits" {
				t.Errorf("request line = %s, want POST /v1/images/edits", got)
			}
			if auth := requests[0].Header.Get("Authorization"); auth != "Bearer "+testAPIKey {
				t.Errorf("Authorization = %q, want the bearer key", auth)
			}
			parts, files := parseForm(t, requests[0])
			if diff := cmp.Diff(parts, tt.want); diff != "" {
				t.Errorf("form mismatch (-got +want):\n%s", diff)
			}
			if !bytes.Equal(files["image"], tt.image) {
				t.Errorf("image part has %d bytes, want the %d bytes sent", len(files["image"]), len(tt.image))
			}
		})
	}
}

func TestEditImagesUsage(t *testing.T) {
	server := newScriptedServer(t, reply{
		status: http.StatusOK,
		header: map[string]string{"x-request-id": "req_edit"},
		body: imagesResponse(t, `{"total_tokens":5000,"input_tokens":600,"output_tokens":4400,
			"input_tokens_details":{"text_tokens":20,"image_tokens":580},
			"output_tokens_details":{"text_tokens":240,"image_tokens":4160}}`, jpegImage(t, 2)),
	})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.EditImages(context.Background(), EditRequest{Model: "gpt-image-2", Prompt: "p", Image: pngImage(t, 2, 2, false)})
	if err != nil {
		t.Fatalf("EditImages: %v", err)
	}

	wantUsage := Usage{TextInputTokens: 20, ImageInputTokens: 580, TextOutputTokens: 240, ImageOutputTokens: 4160, Images: 1, Reported: true}
	if diff := cmp.Diff(got.Usage, wantUsage); diff != "" {
		t.Errorf("usage mismatch (-got +want):\n%s", diff)
	}
	if got.Format != "jpeg" || got.RequestID != "req_edit" || got.Attempts != 1 {
		t.Errorf("format, request ID, attempts = %q, %q, %d; want jpeg, req_edit, 1", got.Format, got.RequestID, got.Attempts)
	}
}

func TestEditImagesInvalidInput(t *testing.T) {
	tests := []struct {
		name    string
		request EditRequest
	}{
		{name: "gif image", request: EditRequest{Model: "gpt-image-2", Prompt: "p", Image: []byte("GIF89a\x01\x00\x01\x00")}},
		{name: "not an image", request: EditRequest{Model: "gpt-image-2", Prompt: "p", Image: []byte("hello")}},
		{name: "jpeg mask", request: EditRequest{Model: "gpt-image-2", Prompt: "p", Image: pngImage(t, 2, 2, true), Mask: jpegImage(t, 2)}},
		{name: "dall-e-2 jpeg", request: EditRequest{Model: "dall-e-2", Prompt: "p", Image: jpegImage(t, 4)}},
		{name: "dall-e-2 not square", request: EditRequest{Model: "dall-e-2", Prompt: "p", Image: pngImage(t, 6, 4, true)}},
		{name: "missing prompt", request: EditRequest{Model: "gpt-image-2", Image: pngImage(t, 2, 2, true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, false))})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			_, err := client.EditImages(context.Background(), tt.request)

			if failure := Classify(err); failure != FailureInvalidInput {
				t.Errorf("Classify(%v) = %s, want invalid_input", err, failure)
			}
			if n := len(server.received()); n != 0 {
				t.Errorf("server received %d requests, want 0", n)
			}
		})
	}
}

func TestVaryImageForm(t *testing.T) {
	image := pngImage(t, 8, 8, true)
	server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", image, image)})
	client, _ := newTestClient(t, server.baseURL(), Config{})

	got, err := client.VaryImage(context.Background(), VariationRequest{Model: "dall-e-2", Image: image, Count: 2, Size: "256x256"})
	if err != nil {
		t.Fatalf("VaryImage: %v", err)
	}

	if got.Usage.Images != 2 || len(got.Images) != 2 {
		t.Errorf("got %d images and usage %d, want 2 and 2", len(got.Images), got.Usage.Images)
	}
	requests := server.received()
	if len(requests) != 1 || requests[0].Path != "/v1/images/variations" {
		t.Fatalf("requests = %d, want one to /v1/images/variations", len(requests))
	}
	parts, _ := parseForm(t, requests[0])
	want := map[string]formPart{
		"image":           {FileName: "image.png", ContentType: "image/png"},
		"model":           {Value: "dall-e-2"},
		"n":               {Value: "2"},
		"size":            {Value: "256x256"},
		"response_format": {Value: "b64_json"},
	}
	if diff := cmp.Diff(parts, want); diff != "" {
		t.Errorf("form mismatch (-got +want):\n%s", diff)
	}
}

func TestVaryImageValidation(t *testing.T) {
	tests := []struct {
		name    string
		request VariationRequest
		wantErr bool
	}{
		{name: "square RGBA png", request: VariationRequest{Model: "dall-e-2", Image: pngImage(t, 4, 4, true)}},
		{name: "square grayscale png", request: VariationRequest{Model: "dall-e-2", Image: grayPNG(t, 4)}},
		{name: "RGB png", request: VariationRequest{Model: "dall-e-2", Image: pngImage(t, 4, 4, false)}, wantErr: true},
		{name: "600x400 png", request: VariationRequest{Model: "dall-e-2", Image: pngImage(t, 600, 400, true)}, wantErr: true},
		{name: "square jpeg", request: VariationRequest{Model: "dall-e-2", Image: jpegImage(t, 4)}, wantErr: true},
		{name: "gpt image model", request: VariationRequest{Model: "gpt-image-2", Image: pngImage(t, 4, 4, true)}, wantErr: true},
		{name: "too large", request: VariationRequest{Model: "dall-e-2", Image: append(pngImage(t, 4, 4, true), make([]byte, MaxDallEImageInputBytes)...)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newScriptedServer(t, reply{status: http.StatusOK, body: imagesResponse(t, "", pngImage(t, 1, 1, true))})
			client, _ := newTestClient(t, server.baseURL(), Config{})

			_, err := client.VaryImage(context.Background(), tt.request)

			if tt.wantErr {
				if failure := Classify(err); failure != FailureInvalidInput {
					t.Errorf("Classify(%v) = %s, want invalid_input", err, failure)
				}
				if n := len(server.received()); n != 0 {
					t.Errorf("server received %d requests, want 0", n)
				}
				return
			}
			if err != nil {
				t.Errorf("VaryImage: %v", err)
			}
		})
	}
}
