package imageinput

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// The limits of the target models, as the openaiclient package states them.
const (
	gptMaxBytes   = 50_000_000
	dallEMaxBytes = 4_000_000
	dallEMaxSide  = 1024
)

// stripes is a width × height opaque image whose left tenth is red, right
// tenth blue and middle green, so that a crop shows in the colours.
func stripes(width, height int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			c := color.NRGBA{G: 255, A: 255}
			switch {
			case x < width/10:
				c = color.NRGBA{R: 255, A: 255}
			case x >= width-width/10:
				c = color.NRGBA{B: 255, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// noise is an image of random pixels, which no codec compresses, opaque
// or with random alpha.
func noise(width, height int, opaque bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		if opaque && i%4 == 3 {
			img.Pix[i] = 255
		} else {
			img.Pix[i] = byte(rng.Uint32())
		}
	}
	return img
}

func encode(t *testing.T, format Format, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case PNG:
		err = png.Encode(&buf, img)
	case JPEG:
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case GIF:
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 256})
	case BMP:
		err = bmp.Encode(&buf, img)
	case TIFF:
		err = tiff.Encode(&buf, img, nil)
	default:
		t.Fatalf("no encoder for %s", format)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// pngChunk returns one PNG chunk: length, type, data and CRC.
func pngChunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}

// pngHeaderOnly is the start of a PNG declaring width × height RGBA pixels,
// with no pixel data: enough for DecodeConfig, and a decode fails.
func pngHeaderOnly(width, height uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// padPNG inserts a private ancillary chunk of n bytes after IHDR, as
// editors do with metadata, making the file large without more pixels.
func padPNG(data []byte, n int) []byte {
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	out := append([]byte{}, data[:afterIHDR]...)
	out = append(out, pngChunk("prVt", make([]byte, n))...)
	return append(out, data[afterIHDR:]...)
}

func decodeAs(t *testing.T, p Prepared) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch p.Format {
	case PNG:
		img, err = png.Decode(bytes.NewReader(p.Data))
	case JPEG:
		img, err = jpeg.Decode(bytes.NewReader(p.Data))
	default:
		t.Fatalf("prepared format %s, want PNG or JPEG", p.Format)
	}
	if err != nil {
		t.Fatalf("prepared data is not a valid %s: %v", p.Format, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(p.Width, p.Height) {
		t.Errorf("decoded size %v, prepared says %d×%d", got, p.Width, p.Height)
	}
	return img
}

func TestForEdit(t *testing.T) {
	smallPNG := encode(t, PNG, stripes(64, 48))
	tests := []struct {
		name        string
		data        []byte
		wantFormat  Format
		wantSize    image.Point
		unchanged   bool
		wantChanges string
	}{
		{name: "PNG as it is", data: smallPNG, wantFormat: PNG, wantSize: image.Pt(64, 48), unchanged: true},
		{name: "JPEG as it is", data: encode(t, JPEG, stripes(64, 48)), wantFormat: JPEG, wantSize: image.Pt(64, 48), unchanged: true},
		{name: "GIF to PNG", data: encode(t, GIF, stripes(64, 48)), wantFormat: PNG, wantSize: image.Pt(64, 48), wantChanges: "converted the image from GIF to PNG"},
		{name: "BMP to PNG", data: encode(t, BMP, stripes(64, 48)), wantFormat: PNG, wantSize: image.Pt(64, 48), wantChanges: "converted the image from BMP to PNG"},
		{name: "TIFF to PNG", data: encode(t, TIFF, stripes(64, 48)), wantFormat: PNG, wantSize: image.Pt(64, 48), wantChanges: "converted the image from TIFF to PNG"},
		{name: "60 MB of metadata", data: padPNG(smallPNG, 60_000_000), wantFormat: PNG, wantSize: image.Pt(64, 48), wantChanges: "recompressed the image from 60 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ForEdit(tt.data, MaxPixels, gptMaxBytes)
			if err != nil {
				t.Fatalf("ForEdit: %v", err)
			}

			if got.Format != tt.wantFormat {
				t.Errorf("format = %s, want %s", got.Format, tt.wantFormat)
			}
			if size := image.Pt(got.Width, got.Height); size != tt.wantSize {
				t.Errorf("size = %v, want %v", size, tt.wantSize)
			}
			if len(got.Data) >= gptMaxBytes {
				t.Errorf("prepared file is %d bytes, want under %d", len(got.Data), gptMaxBytes)
			}
			if tt.unchanged && !bytes.Equal(got.Data, tt.data) {
				t.Errorf("file was changed, want it sent as it was")
			}
			if !strings.Contains(got.Changes, tt.wantChanges) || (tt.wantChanges == "") != (got.Changes == "") {
				t.Errorf("changes = %q, want %q", got.Changes, tt.wantChanges)
			}
			decodeAs(t, got)
		})
	}
}

// TestForEditRecompressesNoisyPNG sends a 60 MB PNG of random pixels, which
// PNG cannot compress: it must come out as a JPEG under the limit.
func TestForEditRecompressesNoisyPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 60 MB of pixels")
	}
	var buf bytes.Buffer
	encoder := png.Encoder{CompressionLevel: png.NoCompression}
	if err := encoder.Encode(&buf, noise(4500, 4450, true)); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if len(data) < 60_000_000 {
		t.Fatalf("test image is %d bytes, want at least 60 MB", len(data))
	}

	got, err := ForEdit(data, MaxPixels, gptMaxBytes)
	if err != nil {
		t.Fatalf("ForEdit: %v", err)
	}

	if got.Format != JPEG {
		t.Errorf("format = %s, want JPEG", got.Format)
	}
	if len(got.Data) >= gptMaxBytes {
		t.Errorf("prepared file is %d bytes, want under %d", len(got.Data), gptMaxBytes)
	}
	if !strings.Contains(got.Changes, "recompressed the image from") {
		t.Errorf("changes = %q, want the recompression named", got.Changes)
	}
	decodeAs(t, got)
}

func TestForEditScalesDownWhenJPEGTooLarge(t *testing.T) {
	data := encode(t, BMP, noise(600, 400, true))

	got, err := ForEdit(data, MaxPixels, 100_000)
	if err != nil {
		t.Fatalf("ForEdit: %v", err)
	}

	if got.Format != JPEG || len(got.Data) >= 100_000 {
		t.Errorf("got %s of %d bytes, want a JPEG under 100000 bytes", got.Format, len(got.Data))
	}
	if got.Width >= 600 || got.Height >= 400 || got.Width*400 != got.Height*600 {
		t.Errorf("size = %d×%d, want smaller than 600×400 with the same aspect", got.Width, got.Height)
	}
	if !strings.Contains(got.Changes, "scaled it down") {
		t.Errorf("changes = %q, want the scaling named", got.Changes)
	}
	decodeAs(t, got)
}

func TestForEditFlattensTransparencyOnWhite(t *testing.T) {
	// The left half is transparent and the right half noise, so that the
	// PNG is above the limit and a JPEG must be made.
	img := noise(200, 200, false)
	for y := range 200 {
		for x := range 100 {
			img.SetNRGBA(x, y, color.NRGBA{})
		}
	}
	data := encode(t, PNG, img)
	const limit = 60_000
	if len(data) < limit {
		t.Fatalf("test PNG is %d bytes, want at least %d", len(data), limit)
	}

	got, err := ForEdit(data, MaxPixels, limit)
	if err != nil {
		t.Fatalf("ForEdit: %v", err)
	}

	if got.Format != JPEG {
		t.Fatalf("format = %s, want JPEG", got.Format)
	}
	r, g, b, _ := decodeAs(t, got).At(10, 10).RGBA()
	if r < 0xf000 || g < 0xf000 || b < 0xf000 {
		t.Errorf("transparent pixel became (%d, %d, %d), want white", r>>8, g>>8, b>>8)
	}
}

func TestForEditRejects(t *testing.T) {
	truncatedGIF := encode(t, GIF, stripes(64, 48))
	truncatedGIF = truncatedGIF[:len(truncatedGIF)/2]
	tests := []struct {
		name       string
		data       []byte
		wantErr    error
		wantReason string
	}{
		{name: "text file", data: []byte("%PDF-1.7 not an image at all"), wantErr: ErrNotImage, wantReason: "not an image"},
		{name: "empty file", data: nil, wantErr: ErrNotImage, wantReason: "not an image"},
		{name: "damaged header", data: []byte("\x89PNG\r\n\x1a\n\x00\x00"), wantErr: ErrNotImage, wantReason: "damaged"},
		{name: "damaged pixels", data: truncatedGIF, wantErr: ErrNotImage, wantReason: "damaged"},
		{name: "too many pixels", data: pngHeaderOnly(20_000, 20_000), wantErr: ErrTooManyPixels, wantReason: "20000×20000 pixels"},
		{name: "zero width", data: pngHeaderOnly(0, 10), wantErr: ErrNotImage, wantReason: "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ForEdit(tt.data, MaxPixels, gptMaxBytes)

			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ForEdit error = %v, want %v", err, tt.wantErr)
			}
			rejection, ok := AsRejection(err)
			if !ok {
				t.Fatalf("error %v is not a *Rejection", err)
			}
			if !strings.Contains(rejection.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", rejection.Reason, tt.wantReason)
			}
		})
	}
}

func TestForVariation(t *testing.T) {
	squareRGBA := stripes(256, 256)
	squareRGBA.Pix[3] = 254 // one translucent pixel: png.Encode writes RGBA
	squareRGBAPNG := encode(t, PNG, squareRGBA)
	tests := []struct {
		name      string
		data      []byte
		wantSide  int
		unchanged bool
		// wantCentre is true when only the green middle must remain.
		wantCentre bool
	}{
		{name: "600×400 PNG", data: encode(t, PNG, stripes(600, 400)), wantSide: 400, wantCentre: true},
		{name: "1024×1024 JPEG", data: encode(t, JPEG, stripes(1024, 1024)), wantSide: 1024},
		{name: "square RGB PNG", data: encode(t, PNG, stripes(256, 256)), wantSide: 256},
		{name: "square RGBA PNG as it is", data: squareRGBAPNG, wantSide: 256, unchanged: true},
		{name: "large GIF", data: encode(t, GIF, stripes(1600, 1200)), wantSide: 1024, wantCentre: true},
		{name: "noise too large at 1024", data: encode(t, PNG, noise(1024, 1024, false)), wantSide: 768},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ForVariation(tt.data, MaxPixels, dallEMaxBytes, dallEMaxSide)
			if err != nil {
				t.Fatalf("ForVariation: %v", err)
			}

			if got.Format != PNG || got.Width != tt.wantSide || got.Height != tt.wantSide {
				t.Errorf("got %s %d×%d, want PNG %d×%d", got.Format, got.Width, got.Height, tt.wantSide, tt.wantSide)
			}
			if len(got.Data) >= dallEMaxBytes {
				t.Errorf("prepared file is %d bytes, want under %d", len(got.Data), dallEMaxBytes)
			}
			if colorType := got.Data[25]; colorType != 6 {
				t.Errorf("PNG color type = %d, want 6 (RGBA)", colorType)
			}
			if tt.unchanged != bytes.Equal(got.Data, tt.data) {
				t.Errorf("file unchanged = %v, want %v", !tt.unchanged, tt.unchanged)
			}
			if tt.unchanged != (got.Changes == "") {
				t.Errorf("changes = %q", got.Changes)
			}
			img := decodeAs(t, got)
			if tt.wantCentre {
				for _, x := range []int{2, got.Width - 3} {
					if r, g, b, _ := img.At(x, got.Height/2).RGBA(); r > 0x2000 || b > 0x2000 || g < 0xe000 {
						t.Errorf("pixel at x=%d is (%d, %d, %d), want the green centre", x, r>>8, g>>8, b>>8)
					}
				}
			}
		})
	}
}

func TestForVariationRejects(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{name: "text file", data: []byte("hello"), wantErr: ErrNotImage},
		{name: "too many pixels", data: pngHeaderOnly(10_000, 5_000), wantErr: ErrTooManyPixels},
		{name: "palette PNG damaged", data: encode(t, PNG, image.NewPaletted(image.Rect(0, 0, 8, 8), palette.Plan9))[:60], wantErr: ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ForVariation(tt.data, MaxPixels, dallEMaxBytes, dallEMaxSide)

			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ForVariation error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
