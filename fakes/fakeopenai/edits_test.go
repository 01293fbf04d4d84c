package fakeopenai

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
)

const editsPath = "/v1/images/edits"

func TestEditRoundTrip(t *testing.T) {
	s := newServer(t, Options{})
	prompt := "make it blue" // 12 characters: 3 tokens
	body, contentType := multipartForm(t,
		field("model", "gpt-image-2"),
		field("prompt", prompt),
		field("n", "2"),
		field("size", "1024x1536"),
		field("quality", "low"),
		filePart("image[]", "first.png", "image/png", rgbaPNG(t, 1024, 1024)),
		filePart("image[]", "second.jpg", "image/jpeg", jpegBytes(t, 600, 400)),
		filePart("image[]", "third.webp", "image/webp", encodeSolidWebP(color.NRGBA{R: 9, A: 0xff}, 300, 300)),
	)

	res := send(t, s, http.MethodPost, editsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
	}
	var got imagesBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}

	if len(got.Data) != 2 {
		t.Fatalf("got %d images, want 2", len(got.Data))
	}
	img, _ := decodeImage(t, got.Data[0].B64JSON)
	if size := img.Bounds().Size(); size != image.Pt(16, 24) {
		t.Errorf("image size = %v, want 16x24 (1/64 of 1024x1536)", size)
	}

	// Input images: 1024x1024 spans 4 tiles (581), 600x400 spans 2 (323),
	// 300x300 spans 1 (194). Output: two low 1024x1536 images, 2 × 408.
	imageInput := ImageInputTokens(1024, 1024) + ImageInputTokens(600, 400) + ImageInputTokens(300, 300)
	if imageInput != 581+323+194 {
		t.Fatalf("ImageInputTokens sum = %d, want %d", imageInput, 581+323+194)
	}
	want := imageUsage{
		InputTokens:         3 + 1098,
		InputTokensDetails:  imageTokenDetails{TextTokens: 3, ImageTokens: 1098},
		OutputTokens:        816,
		OutputTokensDetails: imageTokenDetails{ImageTokens: 816},
		TotalTokens:         3 + 1098 + 816,
	}
	if got.Usage == nil {
		t.Fatal("usage is missing")
	}
	if diff := cmp.Diff(*got.Usage, want); diff != "" {
		t.Errorf("usage mismatch (-got +want):\n%s", diff)
	}

	recorded := s.Requests()[0]
	if len(recorded.Files) != 3 || recorded.Files[1].Filename != "second.jpg" || recorded.Files[1].ContentType != "image/jpeg" {
		t.Errorf("recorded files = %+v, want the three uploads in order", recorded.Files)
	}
	if diff := cmp.Diff(recorded.Fields["prompt"], []string{prompt}); diff != "" {
		t.Errorf("recorded prompt mismatch (-got +want):\n%s", diff)
	}
}

func TestEditWithMask(t *testing.T) {
	s := newServer(t, Options{})
	body, contentType := multipartForm(t,
		field("model", "gpt-image-2"),
		field("prompt", "add a hat"),
		filePart("image", "photo.png", "image/png", rgbaPNG(t, 512, 512)),
		filePart("mask", "mask.png", "image/png", rgbaPNG(t, 512, 512)),
	)
	res := send(t, s, http.MethodPost, editsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
	}
	var got imagesBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if want := 2 * ImageInputTokens(512, 512); got.Usage.InputTokensDetails.ImageTokens != want {
		t.Errorf("image input tokens = %d, want %d (image and mask)", got.Usage.InputTokensDetails.ImageTokens, want)
	}
}

// TestEditRejectsGoOpenAIForm shows why Tally cannot send edits through
// go-openai v1.43.0: its form always carries response_format, n and size,
// empty or zero when unset, and OpenAI rejects those.
func TestEditRejectsGoOpenAIForm(t *testing.T) {
	s := newServer(t, Options{})
	_, err := newClient(s).CreateEditImage(t.Context(), openai.ImageEditRequest{
		Image:  openai.WrapReader(bytes.NewReader(rgbaPNG(t, 64, 64)), "input.png", "image/png"),
		Prompt: "make it blue",
		Model:  "gpt-image-2",
	})
	apiErr := apiError(t, err)
	if apiErr.HTTPStatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", apiErr.HTTPStatusCode)
	}
	if apiErr.Param == nil || *apiErr.Param != "response_format" {
		t.Errorf("param = %v, want response_format", apiErr.Param)
	}
}

func TestEditRejects(t *testing.T) {
	s := newServer(t, Options{})
	png64 := rgbaPNG(t, 64, 64)
	imagePart := filePart("image", "input.png", "image/png", png64)
	base := []formPart{field("model", "gpt-image-2"), field("prompt", "x")}
	with := func(parts ...formPart) []formPart {
		return append(append([]formPart{}, base...), parts...)
	}
	badRequest := func(param, code string) wantError {
		return wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code}
	}
	manyImages := with()
	for range maxEditImages + 1 {
		manyImages = append(manyImages, filePart("image[]", "a.png", "image/png", png64))
	}

	tests := []struct {
		name  string
		parts []formPart
		want  wantError
	}{
		{name: "empty size", parts: with(imagePart, field("size", "")), want: badRequest("size", "empty_value")},
		{name: "empty response_format", parts: with(imagePart, field("response_format", "")), want: badRequest("response_format", "empty_value")},
		{name: "response_format", parts: with(imagePart, field("response_format", "b64_json")), want: badRequest("response_format", "unknown_parameter")},
		{name: "n zero", parts: with(imagePart, field("n", "0")), want: badRequest("n", "integer_below_min_value")},
		{name: "n eleven", parts: with(imagePart, field("n", "11")), want: badRequest("n", "integer_above_max_value")},
		{name: "n not a number", parts: with(imagePart, field("n", "two")), want: badRequest("n", "invalid_type")},
		{name: "unknown field", parts: with(imagePart, field("style", "vivid")), want: badRequest("style", "unknown_parameter")},
		{name: "duplicate prompt", parts: with(imagePart, field("prompt", "y")), want: badRequest("prompt", "duplicate_parameter")},
		{name: "size for dall-e", parts: with(imagePart, field("size", "256x256")), want: badRequest("size", "invalid_value")},
		{name: "quality standard", parts: with(imagePart, field("quality", "standard")), want: badRequest("quality", "invalid_value")},
		{name: "prompt missing", parts: []formPart{field("model", "gpt-image-2"), imagePart}, want: badRequest("prompt", "missing_required_parameter")},
		{name: "image missing", parts: with(), want: badRequest("image", "missing_required_parameter")},
		{name: "image as a field", parts: with(field("image", "data")), want: badRequest("image", "invalid_type")},
		{name: "unknown file part", parts: with(imagePart, filePart("picture", "b.png", "image/png", png64)), want: badRequest("picture", "unknown_parameter")},
		{name: "gif image", parts: with(filePart("image", "a.gif", "image/gif", []byte("GIF89a"))), want: badRequest("image", "invalid_image_format")},
		{name: "octet-stream image", parts: with(filePart("image", "a.png", "application/octet-stream", png64)), want: badRequest("image", "unsupported_file_mimetype")},
		{name: "image not decodable", parts: with(filePart("image", "a.png", "image/png", []byte("not a png"))), want: badRequest("image", "invalid_image_format")},
		{name: "seventeen images", parts: manyImages, want: badRequest("image", "too_many_images")},
		{name: "mask jpeg", parts: with(imagePart, filePart("mask", "m.jpg", "image/jpeg", jpegBytes(t, 64, 64))), want: badRequest("mask", "invalid_image_format")},
		{name: "mask other size", parts: with(imagePart, filePart("mask", "m.png", "image/png", rgbaPNG(t, 32, 32))), want: badRequest("mask", "invalid_image_dimensions")},
		{name: "mask without alpha", parts: with(imagePart, filePart("mask", "m.png", "image/png", rgbPNG(t, 64, 64))), want: badRequest("mask", "invalid_image_format")},
		{name: "model dall-e-2", parts: []formPart{field("model", "dall-e-2"), field("prompt", "x"), imagePart}, want: badRequest("model", "invalid_value")},
		{name: "model unknown", parts: []formPart{field("model", "gpt-image-9"), field("prompt", "x"), imagePart},
			want: wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, contentType := multipartForm(t, tc.parts...)
			res := send(t, s, http.MethodPost, editsPath, contentType, body)
			checkError(t, res, tc.want)
		})
	}
}

func TestEditRejectsContentType(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name        string
		contentType string
		body        string
		wantCode    string
	}{
		{name: "json", contentType: "application/json", body: `{"model":"gpt-image-2","prompt":"x","images":[]}`, wantCode: "unsupported_content_type"},
		{name: "no boundary", contentType: "multipart/form-data", body: "--x\r\n", wantCode: "invalid_multipart"},
		{name: "broken multipart", contentType: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx", wantCode: "invalid_multipart"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, s, http.MethodPost, editsPath, tc.contentType, []byte(tc.body))
			checkError(t, res, wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "<null>", code: tc.wantCode})
		})
	}
}

func TestEditValidation(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	png64 := rgbaPNG(t, 64, 64)

	body, contentType := multipartForm(t,
		field("model", "gpt-image-2"), field("prompt", "x"), field("n", "2"), field("output_format", "webp"),
		filePart("image", "input.png", "image/png", png64))
	res := send(t, s, http.MethodPost, editsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Errorf("valid edit: status = %d, want 200; body %s", res.status, res.body)
	}

	body, contentType = multipartForm(t,
		field("model", "gpt-image-2"), field("prompt", "x"),
		filePart("image[]", "first.png", "image/png", png64), filePart("image[]", "second.png", "image/png", png64))
	res = send(t, s, http.MethodPost, editsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Errorf("edit with image[] parts: status = %d, want 200; body %s", res.status, res.body)
	}

	body, contentType = multipartForm(t,
		field("model", "gpt-image-2"), field("prompt", "x"), field("n", "0"),
		filePart("image", "input.png", "image/png", png64))
	res = send(t, s, http.MethodPost, editsPath, contentType, body)
	checkError(t, res, wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "<null>", code: "spec_validation_failed"})
	if msg := decodeError(t, res.body).Message; !strings.Contains(msg, "$.n") {
		t.Errorf("message %q does not name $.n", msg)
	}
}

func TestEditScripted(t *testing.T) {
	s := newServer(t, Options{})
	s.Script(editsPath, ModerationBlocked())
	body, contentType := multipartForm(t,
		field("model", "gpt-image-2"), field("prompt", "x"),
		filePart("image", "input.png", "image/png", rgbaPNG(t, 64, 64)))

	res := send(t, s, http.MethodPost, editsPath, contentType, body)
	checkError(t, res, wantError{status: http.StatusBadRequest, typ: "image_generation_user_error", param: "<null>", code: "moderation_blocked"})

	res = send(t, s, http.MethodPost, editsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Errorf("second edit: status = %d, want 200", res.status)
	}
}
