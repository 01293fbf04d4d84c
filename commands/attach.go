package commands

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // decodes PNG results for recompression

	"github.com/bwmarrin/discordgo"
)

// maxUploadBytes is Discord's default upload limit for one message,
// 10 MiB, less room for the multipart framing and the JSON payload.
const maxUploadBytes = 10<<20 - 64<<10

// attachImages names each image image-N.ext and keeps the upload under
// Discord's limit: when the images are too large together, they are
// recompressed as JPEG at falling quality. Images that still do not fit
// are left out, and the returned note tells the member.
func attachImages(images [][]byte, format string) ([]*discordgo.File, string) {
	if format == "" {
		format = "png"
	}
	if total(images) > maxUploadBytes {
		for _, quality := range []int{85, 70, 50} {
			smaller, ok := recompress(images, quality)
			if !ok {
				break
			}
			images, format = smaller, "jpeg"
			if total(images) <= maxUploadBytes {
				break
			}
		}
	}

	ext, contentType := "png", "image/png"
	switch format {
	case "jpeg":
		ext, contentType = "jpg", "image/jpeg"
	case "webp":
		ext, contentType = "webp", "image/webp"
	}
	var files []*discordgo.File
	size := 0
	for i, img := range images {
		if size+len(img) > maxUploadBytes {
			return files, fmt.Sprintf("%d of the images were too large for Discord to attach.", len(images)-i)
		}
		size += len(img)
		files = append(files, &discordgo.File{
			Name:        fmt.Sprintf("image-%d.%s", i+1, ext),
			ContentType: contentType,
			Reader:      bytes.NewReader(img),
		})
	}
	return files, ""
}

func total(images [][]byte) int {
	n := 0
	for _, img := range images {
		n += len(img)
	}
	return n
}

func recompress(images [][]byte, quality int) ([][]byte, bool) {
	out := make([][]byte, 0, len(images))
	for _, data := range images {
		decoded, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, false
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, decoded, &jpeg.Options{Quality: quality}); err != nil {
			return nil, false
		}
		out = append(out, buf.Bytes())
	}
	return out, true
}
