package fakeopenai

import (
	"encoding/base64"
	"net/http"
	"time"
	"unicode/utf8"
)

// generationParams are the parameters POST /v1/images/generations accepts.
var generationParams = []string{
	"background", "model", "moderation", "n", "output_compression", "output_format",
	"partial_images", "prompt", "quality", "response_format", "size", "stream", "style", "user",
}

// maxPromptRunes is the prompt limit of GPT image models, in characters.
const maxPromptRunes = 32000

// gptImageOptions are the output parameters GPT image generations and
// edits share.
type gptImageOptions struct {
	n           int
	size        string
	quality     string
	format      string
	compression int
	background  string
}

// readGPTImageOptions reads and checks the shared output parameters. It
// rejects response_format, which GPT image models do not accept, and
// streaming, which the fake does not offer.
func readGPTImageOptions(p *params) gptImageOptions {
	if p.present("response_format") {
		p.fail(unknownParameter("response_format"))
	}
	o := gptImageOptions{
		n:           p.integer("n", 1, 1, 10),
		size:        p.choice("size", "auto", gptImageSizes...),
		quality:     p.choice("quality", "auto", "low", "medium", "high", "auto"),
		format:      p.choice("output_format", "png", "png", "jpeg", "webp"),
		compression: p.integer("output_compression", 100, 0, 100),
		background:  p.choice("background", "auto", "transparent", "opaque", "auto"),
	}
	p.integer("partial_images", 0, 0, 3)
	p.text("user", "")
	if p.boolean("stream", false) {
		p.fail(invalidRequest("stream", "unsupported_value",
			"The fake does not stream images. Leave 'stream' out or set it to false."))
	}
	if o.background == "transparent" && o.format == "jpeg" {
		p.fail(invalidRequest("background", "invalid_value",
			"A transparent background needs output_format 'png' or 'webp', not 'jpeg'."))
	}
	return o
}

// readPrompt reads the required prompt and checks its length.
func readPrompt(p *params) string {
	prompt := p.text("prompt", "")
	if _, failed := p.failed(); failed {
		return ""
	}
	switch {
	case !p.present("prompt"):
		p.fail(missingParameter("prompt"))
	case prompt == "":
		p.fail(invalidRequest("prompt", "string_below_min_length",
			"Invalid 'prompt': string too short. Expected a string with minimum length 1, but got an empty string instead."))
	case utf8.RuneCountInString(prompt) > maxPromptRunes:
		p.fail(invalidRequest("prompt", "string_above_max_length",
			"Invalid 'prompt': string too long. Expected a string with maximum length %d, but got a string with length %d instead.",
			maxPromptRunes, utf8.RuneCountInString(prompt)))
	}
	return prompt
}

// checkGPTImageModel returns an error reply unless model is offered and is a
// GPT image model.
func (s *Server) checkGPTImageModel(model, endpoint string) (reply, bool) {
	if _, ok := s.findModel(model); !ok {
		return modelNotFound(model), false
	}
	if !isGPTImageModel(model) {
		return invalidRequest("model", "invalid_value",
			"The fake serves %s only for GPT image models (gpt-image-*), not '%s'.", endpoint, model), false
	}
	return reply{}, true
}

func (s *Server) createImage(x *exchange) reply {
	p, rep, ok := jsonParams(x, generationParams)
	if !ok {
		return rep
	}

	// An absent model means dall-e-2, which the fake does not generate with,
	// as the real service no longer does.
	model := p.text("model", "dall-e-2")
	prompt := readPrompt(p)
	options := readGPTImageOptions(p)
	p.choice("moderation", "auto", "low", "auto")
	p.choice("style", "vivid", "vivid", "natural")
	if rep, failed := p.failed(); failed {
		return rep
	}
	if rep, ok := s.checkGPTImageModel(model, "image generations"); !ok {
		return rep
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}

	return s.gptImageReply(prompt, options, PromptTokens(prompt), 0)
}

// imagesBody is the JSON form of an images response.
type imagesBody struct {
	Created      int64       `json:"created"`
	Background   string      `json:"background,omitempty"`
	Data         []imageData `json:"data"`
	OutputFormat string      `json:"output_format,omitempty"`
	Quality      string      `json:"quality,omitempty"`
	Size         string      `json:"size,omitempty"`
	Usage        *imageUsage `json:"usage,omitempty"`
}

type imageData struct {
	B64JSON string `json:"b64_json,omitempty"`
	URL     string `json:"url,omitempty"`
}

// gptImageReply draws the images of a GPT image call and returns the
// response with its usage.
func (s *Server) gptImageReply(prompt string, o gptImageOptions, textTokens, imageTokens int) reply {
	size, quality := resolveSize(o.size), resolveQuality(o.quality)
	background := "opaque"
	if o.background == "transparent" {
		background = "transparent"
	}

	body := imagesBody{
		Created:      time.Now().Unix(),
		Background:   background,
		OutputFormat: o.format,
		Quality:      quality,
		Size:         size,
	}
	for i := range o.n {
		encoded, err := render(picture{
			prompt:      prompt,
			index:       i,
			size:        size,
			format:      o.format,
			compression: o.compression,
			transparent: background == "transparent",
			fullSize:    s.opts.FullSizeImages,
		})
		if err != nil {
			return errorReply(http.StatusInternalServerError, APIError{Message: err.Error(), Type: typeServer})
		}
		body.Data = append(body.Data, imageData{B64JSON: base64.StdEncoding.EncodeToString(encoded)})
	}
	usage := newImageUsage(textTokens, imageTokens, o.n, size, quality)
	body.Usage = &usage
	return reply{status: http.StatusOK, value: body}
}
