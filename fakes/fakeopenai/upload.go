package fakeopenai

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"mime"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/webp"
)

// uploadFormats maps an image file extension to its format name and media
// type.
var uploadFormats = map[string]struct{ format, mediaType string }{
	".png":  {"png", "image/png"},
	".jpg":  {"jpeg", "image/jpeg"},
	".jpeg": {"jpeg", "image/jpeg"},
	".webp": {"webp", "image/webp"},
}

// upload is an uploaded image that passed checkUpload.
type upload struct {
	format string
	width  int
	height int
	// pngColorType is the color type byte of a PNG's IHDR chunk: 0 gray
	// (L), 2 RGB, 3 palette, 4 gray with alpha (LA), 6 RGBA.
	pngColorType byte
}

// checkUpload checks one uploaded image: a filename with an extension of
// one of formats, a Content-Type matching that extension, at
// most maxBytes of data, and data that decodes as that format.
func checkUpload(f File, formats []string, maxBytes int) (upload, reply, bool) {
	ext := strings.ToLower(filepath.Ext(f.Filename))
	known, ok := uploadFormats[ext]
	if !ok || !slices.Contains(formats, known.format) {
		return upload{}, invalidRequest(f.Field, "invalid_image_format",
			"Invalid file '%s': unsupported file extension ('%s') of '%s'. Supported formats are %s.",
			f.Field, ext, f.Filename, quoteList(formats)), false
	}

	mediaType, _, err := mime.ParseMediaType(f.ContentType)
	if err != nil || mediaType != known.mediaType {
		return upload{}, invalidRequest(f.Field, "unsupported_file_mimetype",
			"Invalid file '%s': unsupported mimetype ('%s'). A '%s' file must be sent as '%s'.",
			f.Field, f.ContentType, ext, known.mediaType), false
	}

	if len(f.Data) > maxBytes {
		return upload{}, invalidRequest(f.Field, "image_too_large",
			"Invalid file '%s': the file is %d bytes, above the limit of %d bytes.", f.Field, len(f.Data), maxBytes), false
	}

	img, err := decodeAs(known.format, f.Data)
	if err != nil {
		return upload{}, invalidRequest(f.Field, "invalid_image_format",
			"Invalid file '%s': '%s' is not a valid %s image (%v).", f.Field, f.Filename, known.format, err), false
	}
	u := upload{format: known.format, width: img.Bounds().Dx(), height: img.Bounds().Dy()}
	if known.format == "png" {
		// The IHDR chunk always comes first: 8 bytes of signature, 4 of
		// length, 4 of type, 4 of width, 4 of height and 1 of bit depth.
		u.pngColorType = f.Data[25]
	}
	return u, reply{}, true
}

// decodeAs decodes data with the decoder of format only, so that a JPEG
// named .png fails.
func decodeAs(format string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case "png":
		return png.Decode(r)
	case "jpeg":
		return jpeg.Decode(r)
	case "webp":
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("no decoder for format %q", format)
}
