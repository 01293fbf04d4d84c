package fakeopenai

import "unicode/utf8"

// The token counts below are the fake's own deterministic rules, chosen so
// that tests can compute exact expected costs. They are not OpenAI's
// formulas.

// The size and quality that "auto" means in the fake. The response reports
// these resolved values, because the response schema allows only concrete
// sizes and qualities.
const (
	autoSize    = "1024x1024"
	autoQuality = "medium"
)

// gptImageSizes are the sizes the fake accepts for GPT image models.
var gptImageSizes = []string{"1024x1024", "1536x1024", "1024x1536", "auto"}

// outputTokens is the number of image output tokens per generated image,
// by quality and size.
var outputTokens = map[string]map[string]int{
	"low":    {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
	"medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
	"high":   {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}

// PromptTokens returns the text input tokens the fake reports for prompt:
// one token per four characters (Unicode code points), rounded up.
func PromptTokens(prompt string) int {
	return (utf8.RuneCountInString(prompt) + 3) / 4
}

// ImageOutputTokens returns the image output tokens the fake reports for
// one generated image of the given size and quality. The size "auto" counts
// as 1024x1024 and the quality "auto" as medium:
//
//	quality  1024x1024  1024x1536  1536x1024
//	low            272        408        400
//	medium        1056       1584       1568
//	high          4160       6240       6208
//
// It returns 0 for a size or quality the fake does not accept.
func ImageOutputTokens(size, quality string) int {
	return outputTokens[resolveQuality(quality)][resolveSize(size)]
}

// ImageInputTokens returns the image input tokens the fake reports for one
// input image (or mask) of an edit: 65 plus 129 for every 512×512 tile the
// image spans, counting partial tiles as whole.
func ImageInputTokens(width, height int) int {
	tiles := ((width + 511) / 512) * ((height + 511) / 512)
	return 65 + 129*tiles
}

func resolveSize(size string) string {
	if size == "auto" || size == "" {
		return autoSize
	}
	return size
}

func resolveQuality(quality string) string {
	if quality == "auto" || quality == "" {
		return autoQuality
	}
	return quality
}

// imageUsage is the usage object of an images response.
type imageUsage struct {
	InputTokens         int               `json:"input_tokens"`
	InputTokensDetails  imageTokenDetails `json:"input_tokens_details"`
	OutputTokens        int               `json:"output_tokens"`
	OutputTokensDetails imageTokenDetails `json:"output_tokens_details"`
	TotalTokens         int               `json:"total_tokens"`
}

type imageTokenDetails struct {
	TextTokens  int `json:"text_tokens"`
	ImageTokens int `json:"image_tokens"`
}

// newImageUsage adds up the usage of a call with the given input tokens
// that produced n images of one size and quality.
func newImageUsage(textInput, imageInput, n int, size, quality string) imageUsage {
	output := n * ImageOutputTokens(size, quality)
	return imageUsage{
		InputTokens:         textInput + imageInput,
		InputTokensDetails:  imageTokenDetails{TextTokens: textInput, ImageTokens: imageInput},
		OutputTokens:        output,
		OutputTokensDetails: imageTokenDetails{ImageTokens: output},
		TotalTokens:         textInput + imageInput + output,
	}
}
