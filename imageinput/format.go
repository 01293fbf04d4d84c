package imageinput

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Format is an image file format, named as Go's image packages name it.
type Format string

// The formats Tally reads.
const (
	PNG  Format = "png"
	JPEG Format = "jpeg"
	WebP Format = "webp"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	TIFF Format = "tiff"
)

// MaxPixels is the default limit of width × height. It bounds the memory
// a decode takes: 40 megapixels at 4 bytes a pixel is 160 MB, twice that
// for 16-bit images.
const MaxPixels = 40_000_000

// supportedNames lists the formats for a member.
const supportedNames = "PNG, JPEG, WebP, GIF, BMP or TIFF"

// codec reads one format. The decoders are called directly, not through
// image.Decode, so that no format is registered globally and a file is
// decoded only as the format its first bytes name.
type codec struct {
	format       Format
	magic        func([]byte) bool
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var codecs = []codec{
	{PNG, hasPrefix("\x89PNG\r\n\x1a\n"), png.DecodeConfig, png.Decode},
	{JPEG, hasPrefix("\xff\xd8\xff"), jpeg.DecodeConfig, jpeg.Decode},
	{GIF, hasPrefix("GIF87a", "GIF89a"), gif.DecodeConfig, gif.Decode},
	{WebP, isWebP, webp.DecodeConfig, webp.Decode},
	{BMP, hasPrefix("BM"), bmp.DecodeConfig, bmp.Decode},
	{TIFF, hasPrefix("II*\x00", "MM\x00*"), tiff.DecodeConfig, tiff.Decode},
}

// hasPrefix returns a test for files that start with one of the magics.
func hasPrefix(magics ...string) func([]byte) bool {
	return func(b []byte) bool {
		for _, magic := range magics {
			if bytes.HasPrefix(b, []byte(magic)) {
				return true
			}
		}
		return false
	}
}

// isWebP reports whether b is a RIFF container of type WEBP.
func isWebP(b []byte) bool {
	return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
}

// Header is the format and size that an image file's header declares.
type Header struct {
	Format Format
	Width  int
	Height int
}

// Pixels returns width × height.
func (h Header) Pixels() int64 { return int64(h.Width) * int64(h.Height) }

// Inspect reads the format from data's first bytes and the dimensions from
// its header, without decoding the pixels. Errors are *Rejection:
// ErrNotImage for an unknown format or an unreadable header, and
// ErrTooManyPixels when width × height is above maxPixels.
func Inspect(data []byte, maxPixels int64) (Header, error) {
	c, ok := sniff(data)
	if !ok {
		return Header{}, reject(ErrNotImage, "The attachment is not an image Tally can read. Attach a %s file.", supportedNames)
	}
	config, err := c.decodeConfig(bytes.NewReader(data))
	if err != nil || config.Width <= 0 || config.Height <= 0 {
		if err == nil {
			err = fmt.Errorf("empty image of %d×%d", config.Width, config.Height)
		}
		return Header{}, damaged(c.format, err)
	}
	h := Header{Format: c.format, Width: config.Width, Height: config.Height}
	if err := CheckPixels(h.Width, h.Height, maxPixels); err != nil {
		return Header{}, err
	}
	return h, nil
}

// CheckPixels returns a *Rejection of kind ErrTooManyPixels when
// width × height is above maxPixels.
func CheckPixels(width, height int, maxPixels int64) error {
	if pixels := int64(width) * int64(height); pixels > maxPixels {
		return reject(ErrTooManyPixels, "The image is %d×%d pixels (%s); Tally accepts up to %s. Scale it down and attach it again.",
			width, height, megapixels(pixels), megapixels(maxPixels))
	}
	return nil
}

// decode decodes data, whose header Inspect has checked.
func decode(h Header, data []byte) (image.Image, error) {
	c, _ := sniff(data)
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, damaged(h.Format, err)
	}
	return img, nil
}

func sniff(data []byte) (codec, bool) {
	for _, c := range codecs {
		if c.magic(data) {
			return c, true
		}
	}
	return codec{}, false
}

func damaged(format Format, err error) *Rejection {
	return &Rejection{
		Kind:   ErrNotImage,
		Reason: fmt.Sprintf("The attachment starts like a %s image but cannot be read; it may be damaged. Save it again, or as a %s file, and attach it again.", format.name(), supportedNames),
		Cause:  err,
	}
}

// name returns the format's usual written name.
func (f Format) name() string {
	switch f {
	case WebP:
		return "WebP"
	default:
		return string(bytes.ToUpper([]byte(f)))
	}
}

func megapixels(pixels int64) string {
	return fmt.Sprintf("%.1f megapixels", float64(pixels)/1e6)
}
