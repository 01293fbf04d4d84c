package fakeopenai

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strconv"
	"strings"
)

// picture describes one image for the fake to draw.
type picture struct {
	prompt string
	index  int
	// size is the resolved size, such as 1536x1024.
	size        string
	format      string // png, jpeg or webp
	compression int    // 0 to 100, for jpeg
	transparent bool
	fullSize    bool
}

// render draws p and encodes it in p.format. Every image has one color
// derived from the prompt and the image's index, so that images differ. A
// full-size image has the requested dimensions and per-pixel noise around
// that color, which PNG cannot compress.
//
// NOTE: WebP images are always a single color at the requested dimensions,
// because encodeSolidWebP cannot encode noise.
func render(p picture) ([]byte, error) {
	width, height, err := parseSize(p.size)
	if err != nil {
		return nil, err
	}
	base := baseColor(p.prompt, p.index, p.transparent)

	if p.format == "webp" {
		if !p.fullSize {
			width, height = max(width/64, 1), max(height/64, 1)
		}
		return encodeSolidWebP(base, width, height), nil
	}

	var img *image.NRGBA
	if p.fullSize {
		img = noiseImage(base, width, height, p.prompt, p.index)
	} else {
		img = solidImage(base, max(width/64, 1), max(height/64, 1))
	}

	var buf bytes.Buffer
	switch p.format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: max(p.compression, 1)})
	default:
		return nil, fmt.Errorf("render image: unsupported output format %q", p.format)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s image: %w", p.format, err)
	}
	return buf.Bytes(), nil
}

// parseSize splits a size such as 1536x1024 into width and height.
func parseSize(size string) (width, height int, err error) {
	w, h, ok := strings.Cut(size, "x")
	if ok {
		width, err = strconv.Atoi(w)
	}
	if ok && err == nil {
		height, err = strconv.Atoi(h)
	}
	if !ok || err != nil || width <= 0 || height <= 0 {
		return 0, 0, fmt.Errorf("invalid image size %q, want WIDTHxHEIGHT", size)
	}
	return width, height, nil
}

func seed(prompt string, index int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(prompt)) // hash.Hash.Write never returns an error.
	_, _ = h.Write(binary.LittleEndian.AppendUint64(nil, uint64(index)))
	return h.Sum64()
}

func baseColor(prompt string, index int, transparent bool) color.NRGBA {
	s := seed(prompt, index)
	c := color.NRGBA{R: uint8(s), G: uint8(s >> 8), B: uint8(s >> 16), A: 0xff}
	if transparent {
		c.A = 0x80
	}
	return c
}

func solidImage(c color.NRGBA, width, height int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func noiseImage(c color.NRGBA, width, height int, prompt string, index int) *image.NRGBA {
	s := seed(prompt, index)
	random := rand.New(rand.NewPCG(s, s>>1|1))
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := 0; i < len(img.Pix); i += 4 {
		noise := random.Uint32()
		img.Pix[i] = c.R ^ uint8(noise)
		img.Pix[i+1] = c.G ^ uint8(noise>>8)
		img.Pix[i+2] = c.B ^ uint8(noise>>16)
		img.Pix[i+3] = c.A
	}
	return img
}
