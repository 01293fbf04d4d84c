package fakeopenai

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/textproto"
	"testing"
)

// formPart is one part of a multipart form: a file when filename is set,
// otherwise a field.
type formPart struct {
	name        string
	filename    string
	contentType string
	data        []byte
}

func field(name, value string) formPart {
	return formPart{name: name, data: []byte(value)}
}

func filePart(name, filename, contentType string, data []byte) formPart {
	return formPart{name: name, filename: filename, contentType: contentType, data: data}
}

// multipartForm encodes parts in order and returns the body and its
// Content-Type.
func multipartForm(t *testing.T, parts ...formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		header := textproto.MIMEHeader{}
		if p.filename != "" {
			header.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.filename+`"`)
			header.Set("Content-Type", p.contentType)
		} else {
			header.Set("Content-Disposition", `form-data; name="`+p.name+`"`)
		}
		part, err := w.CreatePart(header)
		if err != nil {
			t.Fatalf("create part %s: %v", p.name, err)
		}
		if _, err := part.Write(p.data); err != nil {
			t.Fatalf("write part %s: %v", p.name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close multipart writer: %v", err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// rgbaPNG encodes a width×height PNG with color type 6 (RGBA): one pixel
// is translucent, because Go writes a fully opaque image as RGB.
func rgbaPNG(t *testing.T, width, height int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.SetNRGBA(0, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 0})
	return encodePNG(t, img)
}

// rgbPNG encodes an opaque width×height PNG, which Go writes with color
// type 2 (RGB).
func rgbPNG(t *testing.T, width, height int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return encodePNG(t, img)
}

// grayPNG encodes a width×height PNG with color type 0 (L).
func grayPNG(t *testing.T, width, height int) []byte {
	t.Helper()
	return encodePNG(t, image.NewGray(image.Rect(0, 0, width, height)))
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return buf.Bytes()
}

func jpegBytes(t *testing.T, width, height int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, width, height)), nil); err != nil {
		t.Fatalf("encode JPEG: %v", err)
	}
	return buf.Bytes()
}

func TestCheckUpload(t *testing.T) {
	pngData := rgbaPNG(t, 40, 30)
	tests := []struct {
		name       string
		file       File
		formats    []string
		maxBytes   int
		wantCode   string
		wantWidth  int
		wantHeight int
		wantFormat string
	}{
		{name: "png", file: File{Field: "image", Filename: "a.png", ContentType: "image/png", Data: pngData},
			formats: []string{"png"}, maxBytes: 1 << 20, wantWidth: 40, wantHeight: 30, wantFormat: "png"},
		{name: "upper-case extension", file: File{Field: "image", Filename: "A.PNG", ContentType: "image/png", Data: pngData},
			formats: []string{"png"}, maxBytes: 1 << 20, wantWidth: 40, wantHeight: 30, wantFormat: "png"},
		{name: "jpg extension", file: File{Field: "image", Filename: "a.jpg", ContentType: "image/jpeg", Data: jpegBytes(t, 8, 8)},
			formats: []string{"png", "jpeg"}, maxBytes: 1 << 20, wantWidth: 8, wantHeight: 8, wantFormat: "jpeg"},
		{name: "webp", file: File{Field: "image", Filename: "a.webp", ContentType: "image/webp", Data: encodeSolidWebP(color.NRGBA{A: 0xff}, 9, 7)},
			formats: []string{"webp"}, maxBytes: 1 << 20, wantWidth: 9, wantHeight: 7, wantFormat: "webp"},
		{name: "format not allowed", file: File{Field: "image", Filename: "a.jpg", ContentType: "image/jpeg", Data: jpegBytes(t, 8, 8)},
			formats: []string{"png"}, maxBytes: 1 << 20, wantCode: "invalid_image_format"},
		{name: "gif", file: File{Field: "image", Filename: "a.gif", ContentType: "image/gif", Data: []byte("GIF89a")},
			formats: []string{"png", "jpeg", "webp"}, maxBytes: 1 << 20, wantCode: "invalid_image_format"},
		{name: "no extension", file: File{Field: "image", Filename: "image", ContentType: "image/png", Data: pngData},
			formats: []string{"png"}, maxBytes: 1 << 20, wantCode: "invalid_image_format"},
		{name: "octet-stream", file: File{Field: "image", Filename: "a.png", ContentType: "application/octet-stream", Data: pngData},
			formats: []string{"png"}, maxBytes: 1 << 20, wantCode: "unsupported_file_mimetype"},
		{name: "type does not match extension", file: File{Field: "image", Filename: "a.png", ContentType: "image/jpeg", Data: pngData},
			formats: []string{"png", "jpeg"}, maxBytes: 1 << 20, wantCode: "unsupported_file_mimetype"},
		{name: "too large", file: File{Field: "image", Filename: "a.png", ContentType: "image/png", Data: pngData},
			formats: []string{"png"}, maxBytes: len(pngData) - 1, wantCode: "image_too_large"},
		{name: "exactly at limit", file: File{Field: "image", Filename: "a.png", ContentType: "image/png", Data: pngData},
			formats: []string{"png"}, maxBytes: len(pngData), wantWidth: 40, wantHeight: 30, wantFormat: "png"},
		{name: "jpeg data named png", file: File{Field: "image", Filename: "a.png", ContentType: "image/png", Data: jpegBytes(t, 8, 8)},
			formats: []string{"png"}, maxBytes: 1 << 20, wantCode: "invalid_image_format"},
		{name: "truncated png", file: File{Field: "image", Filename: "a.png", ContentType: "image/png", Data: pngData[:40]},
			formats: []string{"png"}, maxBytes: 1 << 20, wantCode: "invalid_image_format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rep, ok := checkUpload(tc.file, tc.formats, tc.maxBytes)
			if tc.wantCode != "" {
				if ok {
					t.Fatalf("checkUpload() accepted the file, want code %s", tc.wantCode)
				}
				detail := rep.value.(errorBody).Error
				if code := deref(detail.Code); code != tc.wantCode {
					t.Errorf("code = %q, want %q (message %q)", code, tc.wantCode, detail.Message)
				}
				if param := deref(detail.Param); param != "image" {
					t.Errorf("param = %q, want image", param)
				}
				return
			}
			if !ok {
				t.Fatalf("checkUpload() rejected the file: %+v", rep.value)
			}
			if got.width != tc.wantWidth || got.height != tc.wantHeight || got.format != tc.wantFormat {
				t.Errorf("upload = %+v, want %s %dx%d", got, tc.wantFormat, tc.wantWidth, tc.wantHeight)
			}
		})
	}
}
