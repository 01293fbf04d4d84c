package fakeopenai

// Form fields and file parts POST /v1/images/edits accepts.
var (
	editFields = []string{
		"background", "input_fidelity", "model", "n", "output_compression", "output_format",
		"partial_images", "prompt", "quality", "response_format", "size", "stream", "user",
	}
	editFiles = []string{"image", "image[]", "mask"}
)

// Limits of edit uploads for GPT image models.
//
// NOTE: OpenAI documents the limits as "50MB" and "4MB" without saying
// whether a megabyte is 10^6 or 2^20 bytes. The fake takes 2^20.
const (
	maxEditImages     = 16
	maxEditImageBytes = 50 << 20
	maxMaskBytes      = 4 << 20
)

// defaultEditModel is the model of an edit that names none, per OpenAI's
// API reference (openai-openapi commit f85dbe2).
const defaultEditModel = "gpt-image-1.5"

// editImage serves POST /v1/images/edits for GPT image models, with the
// image sent as multipart/form-data.
//
// NOTE: the JSON form of the endpoint (images given by URL or file ID) and
// dall-e-2 edits are not implemented, and such requests get a 400.
func (s *Server) editImage(x *exchange) reply {
	p, rep, ok := formParams(x, editFields, editFiles)
	if !ok {
		return rep
	}

	model := p.text("model", defaultEditModel)
	prompt := readPrompt(p)
	options := readGPTImageOptions(p)
	p.choice("input_fidelity", "low", "high", "low")
	if rep, failed := p.failed(); failed {
		return rep
	}
	if rep, ok := s.checkGPTImageModel(model, "image edits"); !ok {
		return rep
	}
	imageTokens, rep, ok := checkEditUploads(x.record.Files)
	if !ok {
		return rep
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}

	return s.gptImageReply(prompt, options, PromptTokens(prompt), imageTokens)
}

// checkEditUploads checks the images and the optional mask of an edit and
// returns their image input tokens.
func checkEditUploads(files []File) (int, reply, bool) {
	var images, masks []File
	for _, f := range files {
		if f.Field == "mask" {
			masks = append(masks, f)
		} else {
			images = append(images, f)
		}
	}
	switch {
	case len(images) == 0:
		return 0, missingParameter("image"), false
	case len(images) > maxEditImages:
		return 0, invalidRequest("image", "too_many_images",
			"Invalid 'image': at most %d images are allowed, but got %d.", maxEditImages, len(images)), false
	case len(masks) > 1:
		return 0, invalidRequest("mask", "duplicate_parameter", "Duplicate parameter: 'mask' is given %d times.", len(masks)), false
	}

	tokens := 0
	var first upload
	for i, f := range images {
		u, rep, ok := checkUpload(f, []string{"png", "jpeg", "webp"}, maxEditImageBytes)
		if !ok {
			return 0, rep, false
		}
		if i == 0 {
			first = u
		}
		tokens += ImageInputTokens(u.width, u.height)
	}

	if len(masks) == 1 {
		u, rep, ok := checkUpload(masks[0], []string{"png"}, maxMaskBytes)
		if !ok {
			return 0, rep, false
		}
		if u.width != first.width || u.height != first.height {
			return 0, invalidRequest("mask", "invalid_image_dimensions",
				"Invalid 'mask': the mask is %dx%d but the first image is %dx%d. They must be the same size.",
				u.width, u.height, first.width, first.height), false
		}
		if u.pngColorType != 4 && u.pngColorType != 6 {
			return 0, invalidRequest("mask", "invalid_image_format",
				"Invalid 'mask': the mask needs an alpha channel, whose transparent areas mark what to edit."), false
		}
		tokens += ImageInputTokens(u.width, u.height)
	}
	return tokens, reply{}, true
}
