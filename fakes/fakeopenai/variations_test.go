package fakeopenai

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

const variationsPath = "/v1/images/variations"

func TestVariationBase64GoOpenAI(t *testing.T) {
	s := newServer(t, Options{})
	resp, err := newClient(s).CreateVariImage(t.Context(), openai.ImageVariRequest{
		Image:          openai.WrapReader(bytes.NewReader(rgbaPNG(t, 256, 256)), "input.png", "image/png"),
		Model:          "dall-e-2",
		N:              2,
		Size:           openai.CreateImageSize512x512,
		ResponseFormat: openai.CreateImageResponseFormatB64JSON,
	})
	if err != nil {
		t.Fatalf("CreateVariImage() error = %v", err)
	}
	if len(resp.Data) != 2 {
		t.Fatalf("got %d images, want 2", len(resp.Data))
	}
	img, format := decodeImage(t, resp.Data[0].B64JSON)
	if format != "png" || img.Bounds().Size() != image.Pt(8, 8) {
		t.Errorf("image = %s %v, want png 8x8 (1/64 of 512x512)", format, img.Bounds().Size())
	}
	if resp.Usage != (openai.ImageResponseUsage{}) {
		t.Errorf("usage = %+v, want none for dall-e-2", resp.Usage)
	}
}

func TestVariationURL(t *testing.T) {
	s := newServer(t, Options{})
	body, contentType := multipartForm(t, filePart("image", "input.png", "image/png", grayPNG(t, 64, 64)))

	res := send(t, s, http.MethodPost, variationsPath, contentType, body)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
	}
	var got imagesBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if len(got.Data) != 1 || got.Data[0].URL == "" || got.Data[0].B64JSON != "" {
		t.Fatalf("data = %+v, want one image URL", got.Data)
	}
	if got.Usage != nil {
		t.Errorf("usage = %+v, want none", got.Usage)
	}

	resp, err := http.Get(got.Data[0].URL)
	if err != nil {
		t.Fatalf("GET image URL: %v", err)
	}
	data := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET image URL: status %d", resp.StatusCode)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode served image: %v", err)
	}
	if size := img.Bounds().Size(); size != image.Pt(16, 16) {
		t.Errorf("served image size = %v, want 16x16 (1/64 of the default 1024x1024)", size)
	}

	missing, err := http.Get(s.origin() + "/files/images/img-none.png")
	if err != nil {
		t.Fatalf("GET missing image: %v", err)
	}
	readAll(t, missing)
	if missing.StatusCode != http.StatusNotFound {
		t.Errorf("missing image status = %d, want 404", missing.StatusCode)
	}
}

func TestVariationRejects(t *testing.T) {
	s := newServer(t, Options{})
	square := filePart("image", "input.png", "image/png", rgbaPNG(t, 64, 64))
	badRequest := func(param, code string) wantError {
		return wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, code: code}
	}
	tests := []struct {
		name  string
		parts []formPart
		want  wantError
	}{
		{name: "rgb png", parts: []formPart{filePart("image", "a.png", "image/png", rgbPNG(t, 64, 64))}, want: badRequest("image", "invalid_image_format")},
		{name: "not square", parts: []formPart{filePart("image", "a.png", "image/png", rgbaPNG(t, 600, 400))}, want: badRequest("image", "invalid_image_dimensions")},
		{name: "jpeg", parts: []formPart{filePart("image", "a.jpg", "image/jpeg", jpegBytes(t, 64, 64))}, want: badRequest("image", "invalid_image_format")},
		{name: "two images", parts: []formPart{square, square}, want: badRequest("image", "duplicate_parameter")},
		{name: "image missing", parts: []formPart{field("n", "1")}, want: badRequest("image", "missing_required_parameter")},
		{name: "gpt image model", parts: []formPart{field("model", "gpt-image-2"), square}, want: badRequest("model", "invalid_value")},
		{name: "size 1024x1536", parts: []formPart{field("size", "1024x1536"), square}, want: badRequest("size", "invalid_value")},
		{name: "empty response_format", parts: []formPart{field("response_format", ""), square}, want: badRequest("response_format", "empty_value")},
		{name: "n zero", parts: []formPart{field("n", "0"), square}, want: badRequest("n", "integer_below_min_value")},
		{name: "prompt not accepted", parts: []formPart{field("prompt", "x"), square}, want: badRequest("prompt", "unknown_parameter")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, contentType := multipartForm(t, tc.parts...)
			res := send(t, s, http.MethodPost, variationsPath, contentType, body)
			checkError(t, res, tc.want)
		})
	}
}

func TestVariationRejectsLargePNG(t *testing.T) {
	s := newServer(t, Options{})
	large := encodePNG(t, noiseImage(baseColor("large", 0, true), 1200, 1200, "large", 0))
	if len(large) <= maxVariationBytes {
		t.Fatalf("test image is %d bytes, want more than %d", len(large), maxVariationBytes)
	}
	body, contentType := multipartForm(t, filePart("image", "large.png", "image/png", large))

	res := send(t, s, http.MethodPost, variationsPath, contentType, body)
	checkError(t, res, wantError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "image", code: "image_too_large"})
}

func TestVariationNeedsListedModel(t *testing.T) {
	s := newServer(t, Options{Models: []Model{{ID: "gpt-image-2", OwnedBy: "system"}}})
	body, contentType := multipartForm(t, filePart("image", "input.png", "image/png", rgbaPNG(t, 64, 64)))

	res := send(t, s, http.MethodPost, variationsPath, contentType, body)
	checkError(t, res, wantError{status: http.StatusNotFound, typ: "invalid_request_error", param: "model", code: "model_not_found"})
}

func TestVariationValidation(t *testing.T) {
	s := newServer(t, Options{Validator: loadValidator(t)})
	for _, format := range []string{"url", "b64_json"} {
		body, contentType := multipartForm(t,
			field("model", "dall-e-2"), field("n", "2"), field("size", "256x256"), field("response_format", format),
			filePart("image", "input.png", "image/png", rgbaPNG(t, 64, 64)))
		res := send(t, s, http.MethodPost, variationsPath, contentType, body)
		if res.status != http.StatusOK {
			t.Errorf("%s variation: status = %d, want 200; body %s", format, res.status, res.body)
		}
	}
}
