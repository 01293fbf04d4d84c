package fakeopenai

import (
	"encoding/base64"
	"encoding/json"
	"image"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
	_ "golang.org/x/image/webp" // registers the WebP decoder for image.Decode
)

func TestGenerationRoundTrip(t *testing.T) {
	s := newServer(t, Options{})
	client := newClient(s)

	resp, err := client.CreateImage(t.Context(), openai.ImageRequest{
		Model:   openai.CreateImageModelGptImage2,
		Prompt:  "a red cube",
		N:       2,
		Size:    openai.CreateImageSize1536x1024,
		Quality: openai.CreateImageQualityHigh,
	})
	if err != nil {
		t.Fatalf("CreateImage() error = %v", err)
	}

	if got := len(resp.Data); got != 2 {
		t.Fatalf("got %d images, want 2", got)
	}
	for i, d := range resp.Data {
		img, format := decodeImage(t, d.B64JSON)
		if format != "png" {
			t.Errorf("image %d format = %q, want png", i, format)
		}
		if got := img.Bounds().Size(); got != image.Pt(24, 16) {
			t.Errorf("image %d size = %v, want 24x16 (1/64 of 1536x1024)", i, got)
		}
	}
	if resp.Data[0].B64JSON == resp.Data[1].B64JSON {
		t.Error("both images are identical, want each image to differ")
	}

	// "a red cube" is 10 characters: 3 tokens. Two high 1536x1024 images
	// are 2 × 6208 output tokens.
	wantUsage := openai.ImageResponseUsage{
		InputTokens:        3,
		OutputTokens:       12416,
		TotalTokens:        12419,
		InputTokensDetails: openai.ImageResponseInputTokensDetails{TextTokens: 3},
	}
	if diff := cmp.Diff(resp.Usage, wantUsage); diff != "" {
		t.Errorf("usage mismatch (-got +want):\n%s", diff)
	}
	if id := resp.Header().Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
		t.Errorf("x-request-id = %q, want req_ and 32 hex digits", id)
	}
}

func TestGenerationUsage(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name        string
		body        string
		wantSize    string
		wantQuality string
		wantUsage   imageUsage
	}{
		{
			name:        "auto size and quality",
			body:        `{"model":"gpt-image-2","prompt":"a lighthouse at dusk"}`,
			wantSize:    "1024x1024",
			wantQuality: "medium",
			wantUsage: imageUsage{
				InputTokens: 5, InputTokensDetails: imageTokenDetails{TextTokens: 5},
				OutputTokens: 1056, OutputTokensDetails: imageTokenDetails{ImageTokens: 1056},
				TotalTokens: 1061,
			},
		},
		{
			name:        "three low portrait",
			body:        `{"model":"gpt-image-1.5","prompt":"cat","n":3,"size":"1024x1536","quality":"low"}`,
			wantSize:    "1024x1536",
			wantQuality: "low",
			wantUsage: imageUsage{
				InputTokens: 1, InputTokensDetails: imageTokenDetails{TextTokens: 1},
				OutputTokens: 1224, OutputTokensDetails: imageTokenDetails{ImageTokens: 1224},
				TotalTokens: 1225,
			},
		},
		{
			name:        "null parameters take defaults",
			body:        `{"model":"gpt-image-2","prompt":"öööö","n":null,"size":null,"quality":null}`,
			wantSize:    "1024x1024",
			wantQuality: "medium",
			wantUsage: imageUsage{
				InputTokens: 1, InputTokensDetails: imageTokenDetails{TextTokens: 1},
				OutputTokens: 1056, OutputTokensDetails: imageTokenDetails{ImageTokens: 1056},
				TotalTokens: 1057,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := postJSON(t, s, "/v1/images/generations", tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
			}
			var got imagesBody
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatalf("decode response: %v", err)
			}
			if got.Size != tc.wantSize {
				t.Errorf("size = %q, want %q", got.Size, tc.wantSize)
			}
			if got.Quality != tc.wantQuality {
				t.Errorf("quality = %q, want %q", got.Quality, tc.wantQuality)
			}
			if got.Usage == nil {
				t.Fatal("usage is missing")
			}
			if diff := cmp.Diff(*got.Usage, tc.wantUsage); diff != "" {
				t.Errorf("usage mismatch (-got +want):\n%s", diff)
			}
		})
	}
}

func TestTokenFunctions(t *testing.T) {
	tests := []struct {
		name string
		got  int
		want int
	}{
		{name: "prompt empty", got: PromptTokens(""), want: 0},
		{name: "prompt four characters", got: PromptTokens("abcd"), want: 1},
		{name: "prompt five characters", got: PromptTokens("abcde"), want: 2},
		{name: "prompt counts code points", got: PromptTokens("日本語の"), want: 1},
		{name: "output auto auto", got: ImageOutputTokens("auto", "auto"), want: 1056},
		{name: "output low square", got: ImageOutputTokens("1024x1024", "low"), want: 272},
		{name: "output high landscape", got: ImageOutputTokens("1536x1024", "high"), want: 6208},
		{name: "output unsupported size", got: ImageOutputTokens("512x512", "low"), want: 0},
		{name: "input one tile", got: ImageInputTokens(512, 512), want: 194},
		{name: "input four tiles", got: ImageInputTokens(1024, 1024), want: 581},
		{name: "input partial tiles", got: ImageInputTokens(513, 10), want: 323},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestGenerationOutputFormats(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name       string
		body       string
		wantFormat string
		wantWidth  int
		wantHeight int
	}{
		{name: "png", body: `{"model":"gpt-image-2","prompt":"x","output_format":"png"}`, wantFormat: "png", wantWidth: 16, wantHeight: 16},
		{name: "jpeg", body: `{"model":"gpt-image-2","prompt":"x","output_format":"jpeg","output_compression":50}`, wantFormat: "jpeg", wantWidth: 16, wantHeight: 16},
		{name: "webp", body: `{"model":"gpt-image-2","prompt":"x","output_format":"webp","size":"1024x1536"}`, wantFormat: "webp", wantWidth: 16, wantHeight: 24},
		{name: "transparent webp", body: `{"model":"gpt-image-2","prompt":"x","output_format":"webp","background":"transparent"}`, wantFormat: "webp", wantWidth: 16, wantHeight: 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := postJSON(t, s, "/v1/images/generations", tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
			}
			var got imagesBody
			if err := json.Unmarshal(res.body, &got); err != nil {
				t.Fatalf("decode response: %v", err)
			}
			if got.OutputFormat != tc.wantFormat {
				t.Errorf("output_format = %q, want %q", got.OutputFormat, tc.wantFormat)
			}
			img, format := decodeImage(t, got.Data[0].B64JSON)
			if format != tc.wantFormat {
				t.Errorf("decoded format = %q, want %q", format, tc.wantFormat)
			}
			if size := img.Bounds().Size(); size.X != tc.wantWidth || size.Y != tc.wantHeight {
				t.Errorf("image size = %v, want %dx%d", size, tc.wantWidth, tc.wantHeight)
			}
		})
	}
}

func TestTransparentWebPKeepsColor(t *testing.T) {
	s := newServer(t, Options{})
	res := postJSON(t, s, "/v1/images/generations",
		`{"model":"gpt-image-2","prompt":"glass","output_format":"webp","background":"transparent"}`)
	var got imagesBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	img, _ := decodeImage(t, got.Data[0].B64JSON)

	want := baseColor("glass", 0, true)
	r, g, b, a := img.At(3, 5).RGBA()
	gotColor := [4]uint32{r >> 8, g >> 8, b >> 8, a >> 8}
	// The decoder returns premultiplied values; compare with the base color
	// premultiplied by its alpha.
	wantColor := [4]uint32{
		uint32(want.R) * uint32(want.A) / 0xff,
		uint32(want.G) * uint32(want.A) / 0xff,
		uint32(want.B) * uint32(want.A) / 0xff,
		uint32(want.A),
	}
	for i := range gotColor {
		if diff := int(gotColor[i]) - int(wantColor[i]); diff < -1 || diff > 1 {
			t.Errorf("pixel = %v, want %v (within 1)", gotColor, wantColor)
			break
		}
	}
}

func TestFullSizeImagesExceedUploadLimit(t *testing.T) {
	s := newServer(t, Options{FullSizeImages: true})
	res := postJSON(t, s, "/v1/images/generations", `{"model":"gpt-image-2","prompt":"noise","n":3,"size":"1536x1024"}`)
	if res.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", res.status, res.body)
	}
	var got imagesBody
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("decode response: %v", err)
	}

	total := 0
	for i, d := range got.Data {
		data, err := base64.StdEncoding.DecodeString(d.B64JSON)
		if err != nil {
			t.Fatalf("decode image %d: %v", i, err)
		}
		total += len(data)
		img, _ := decodeImage(t, d.B64JSON)
		if size := img.Bounds().Size(); size != image.Pt(1536, 1024) {
			t.Errorf("image %d size = %v, want 1536x1024", i, size)
		}
	}
	const discordLimit = 10 << 20
	if total <= discordLimit {
		t.Errorf("three full-size images take %d bytes, want more than %d", total, discordLimit)
	}
}
