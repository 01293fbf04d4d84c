package openaiclient

// Usage is the consumption of one OpenAI call, split into the kinds that
// have their own price. The kinds do not overlap, so a call's cost is the sum of
// count × price over the kinds. ReasoningTokens is the one exception: it is
// the part of TextOutputTokens the model spent reasoning, reported for
// display, and is not priced on its own.
type Usage struct {
	// TextInputTokens are text input tokens not served from the prompt cache.
	TextInputTokens int64
	// CachedInputTokens are text input tokens served from the prompt cache.
	CachedInputTokens int64
	// ImageInputTokens are tokens of input images.
	ImageInputTokens int64
	// TextOutputTokens are text output tokens, reasoning tokens included.
	TextOutputTokens int64
	// ReasoningTokens is the reasoning part of TextOutputTokens.
	ReasoningTokens int64
	// ImageOutputTokens are tokens of generated images.
	ImageOutputTokens int64
	// Images is the number of images returned.
	Images int64
	// Reported is false when the response carried no usage at all, which
	// the image endpoints of OpenAI-compatible servers may leave out.
	Reported bool
}

// imageUsageBody is the usage object of an images response, with the
// output_tokens_details that go-openai v1.43.0's ImageResponseUsage drops.
type imageUsageBody struct {
	InputTokens         int64              `json:"input_tokens"`
	OutputTokens        int64              `json:"output_tokens"`
	InputTokensDetails  *imageTokenDetails `json:"input_tokens_details"`
	OutputTokensDetails *imageTokenDetails `json:"output_tokens_details"`
}

type imageTokenDetails struct {
	TextTokens  int64 `json:"text_tokens"`
	ImageTokens int64 `json:"image_tokens"`
}

// imageUsage maps an images response's usage to Usage. Models without token
// usage (dall-e) report only the image count. inputHasImages reports whether
// the request sent images (an edit) or only a prompt (a generation).
//
// Where a total exceeds the sum of its details, the difference is counted
// as image tokens. gpt-image-2 prices image tokens above text tokens, so an
// unexplained token is never charged below its price. Without input
// details, an edit's input tokens count as image tokens and a generation's
// as text tokens. Without output details, all output tokens are image
// tokens, which is how the API reference's ImagesUsage schema defines
// output_tokens for GPT image models.
//
// NOTE: the API reference (openai-openapi commit f85dbe2) reports no cached
// input tokens for images, so CachedInputTokens stays 0 and cached image
// input, if OpenAI bills it lower, is charged at the full price.
func imageUsage(body *imageUsageBody, images int, inputHasImages bool) Usage {
	usage := Usage{Images: int64(images)}
	if body == nil {
		return usage
	}
	usage.Reported = true

	if details := body.InputTokensDetails; details != nil {
		usage.TextInputTokens = details.TextTokens
		usage.ImageInputTokens = details.ImageTokens + max(body.InputTokens-details.TextTokens-details.ImageTokens, 0)
	} else if inputHasImages {
		usage.ImageInputTokens = body.InputTokens
	} else {
		usage.TextInputTokens = body.InputTokens
	}

	if details := body.OutputTokensDetails; details != nil {
		usage.TextOutputTokens = details.TextTokens
		usage.ImageOutputTokens = details.ImageTokens + max(body.OutputTokens-details.TextTokens-details.ImageTokens, 0)
	} else {
		usage.ImageOutputTokens = body.OutputTokens
	}
	return usage
}
