package imageinput

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"

	"golang.org/x/image/draw"
)

// Prepared is an image ready to send to OpenAI.
type Prepared struct {
	Data   []byte
	Format Format
	Width  int
	Height int
	// Changes is a description of the changes for the member, such as
	// "converted the image from GIF to PNG", or empty when the file is sent
	// as it was.
	Changes string
}

// ForEdit prepares data for an image edit with a GPT image model, which
// accepts PNG, JPEG and WebP files smaller than maxBytes. Such files are
// sent as they are, without decoding their pixels, so damage there is left
// for OpenAI to report. Other formats are converted to PNG, taking the
// first frame of an animated GIF. Files of maxBytes or more are
// recompressed. They become a PNG if that fits, except JPEG files, and
// otherwise a JPEG, scaled down if even that is too large.
// Errors are *Rejection from Inspect, or ErrNotImage when the pixels cannot
// be decoded.
func ForEdit(data []byte, maxPixels int64, maxBytes int) (Prepared, error) {
	h, err := Inspect(data, maxPixels)
	if err != nil {
		return Prepared{}, err
	}
	native := h.Format == PNG || h.Format == JPEG || h.Format == WebP
	if native && len(data) < maxBytes {
		return Prepared{Data: data, Format: h.Format, Width: h.Width, Height: h.Height}, nil
	}

	img, err := decode(h, data)
	if err != nil {
		return Prepared{}, err
	}
	out, err := encodeToFit(img, h.Format != JPEG, maxBytes)
	if err != nil {
		return Prepared{}, err
	}
	var changes []string
	if native {
		changes = append(changes, fmt.Sprintf("recompressed the image from %s to %s as %s", megabytes(int64(len(data))), megabytes(int64(len(out.Data))), out.Format.name()))
	} else {
		changes = append(changes, fmt.Sprintf("converted the image from %s to %s", h.Format.name(), out.Format.name()))
	}
	if out.Width != h.Width || out.Height != h.Height {
		changes = append(changes, fmt.Sprintf("scaled it down to %d×%d to stay under %s", out.Width, out.Height, megabytes(int64(maxBytes))))
	}
	out.Changes = strings.Join(changes, " and ")
	return out, nil
}

// encodeToFit encodes img as a file smaller than maxBytes. It tries PNG
// first when tryPNG is set, because PNG is lossless and keeps transparency.
// Then it tries JPEG at falling quality on a white background, and last
// JPEG scaled down step by step.
func encodeToFit(img image.Image, tryPNG bool, maxBytes int) (Prepared, error) {
	b := img.Bounds()
	if tryPNG {
		data, err := encodePNG(img)
		if err != nil {
			return Prepared{}, err
		}
		if len(data) < maxBytes {
			return Prepared{Data: data, Format: PNG, Width: b.Dx(), Height: b.Dy()}, nil
		}
	}

	flat := flatten(img)
	for _, quality := range []int{90, 80} {
		data, err := encodeJPEG(flat, quality)
		if err != nil {
			return Prepared{}, err
		}
		if len(data) < maxBytes {
			return Prepared{Data: data, Format: JPEG, Width: b.Dx(), Height: b.Dy()}, nil
		}
	}

	// Each step keeps 3/4 of the width and height, about half the pixels.
	width, height := b.Dx(), b.Dy()
	for range 8 {
		width, height = max(width*3/4, 1), max(height*3/4, 1)
		scaled := image.NewRGBA(image.Rect(0, 0, width, height))
		scale(scaled, flat, flat.Bounds())
		data, err := encodeJPEG(scaled, 80)
		if err != nil {
			return Prepared{}, err
		}
		if len(data) < maxBytes {
			return Prepared{Data: data, Format: JPEG, Width: width, Height: height}, nil
		}
	}
	return Prepared{}, reject(ErrTooLarge, "The image could not be compressed below %s. Attach a smaller image.", megabytes(int64(maxBytes)))
}

// ForVariation prepares data for POST /images/variations with dall-e-2,
// which needs a square PNG with an alpha channel smaller than maxBytes.
// Such a file, at most maxSide pixels a side, is sent as it is. Any other
// image is cropped to the square at its centre, scaled down to at most
// maxSide pixels a side, and encoded as an RGBA PNG, scaled down further
// until it fits. Errors are as for ForEdit.
func ForVariation(data []byte, maxPixels int64, maxBytes, maxSide int) (Prepared, error) {
	h, err := Inspect(data, maxPixels)
	if err != nil {
		return Prepared{}, err
	}
	if h.Format == PNG && h.Width == h.Height && h.Width <= maxSide && len(data) < maxBytes && pngHasAlpha(data) {
		return Prepared{Data: data, Format: PNG, Width: h.Width, Height: h.Height}, nil
	}

	img, err := decode(h, data)
	if err != nil {
		return Prepared{}, err
	}
	square := centreSquare(img.Bounds())
	// Each step keeps 3/4 of the side, about half the pixels.
	for side := min(square.Dx(), maxSide); side > 0; side = side * 3 / 4 {
		out := image.NewNRGBA(image.Rect(0, 0, side, side))
		scale(out, img, square)
		encoded, err := encodePNG(rgbaPNG{out})
		if err != nil {
			return Prepared{}, err
		}
		if len(encoded) >= maxBytes {
			continue
		}

		var changes []string
		object := "the image"
		if square != img.Bounds() {
			changes = append(changes, "cropped "+object+" to a square")
			object = "it"
		}
		if side != square.Dx() {
			changes = append(changes, fmt.Sprintf("scaled %s to %d×%d", object, side, side))
			object = "it"
		}
		changes = append(changes, "converted "+object+" to a PNG with an alpha channel, as dall-e-2 requires")
		return Prepared{Data: encoded, Format: PNG, Width: side, Height: side, Changes: strings.Join(changes, ", ")}, nil
	}
	return Prepared{}, reject(ErrTooLarge, "The image could not be compressed below %s. Attach a smaller image.", megabytes(int64(maxBytes)))
}

// rgbaPNG makes png.Encode write color type 6 (RGBA) even when every pixel
// is opaque: the encoder writes RGB for an image that reports itself
// opaque, and dall-e-2 rejects RGB.
type rgbaPNG struct{ *image.NRGBA }

// Opaque reports false, whatever the pixels.
func (rgbaPNG) Opaque() bool { return false }

// pngHasAlpha reports whether a PNG's color type is gray with alpha (4) or
// RGBA (6). The color type is byte 25: after the 8-byte signature, the
// IHDR chunk's length and type, width, height and bit depth.
func pngHasAlpha(data []byte) bool {
	return len(data) > 25 && (data[25] == 4 || data[25] == 6)
}

// centreSquare returns the largest square centred in r.
func centreSquare(r image.Rectangle) image.Rectangle {
	side := min(r.Dx(), r.Dy())
	x := r.Min.X + (r.Dx()-side)/2
	y := r.Min.Y + (r.Dy()-side)/2
	return image.Rect(x, y, x+side, y+side)
}

// scale draws the part src of img over the whole of dst, copying pixels
// when the sizes match.
func scale(dst draw.Image, img image.Image, src image.Rectangle) {
	if src.Size() == dst.Bounds().Size() {
		draw.Copy(dst, dst.Bounds().Min, img, src, draw.Src, nil)
		return
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, src, draw.Src, nil)
}

// flatten draws img on white, because JPEG has no transparency and Go's
// encoder would otherwise turn transparent pixels black.
func flatten(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
