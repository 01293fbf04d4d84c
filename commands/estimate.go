package commands

import (
	"unicode/utf8"

	"github.com/tallybot/tally/models"
)

// imageOutputTokens estimates the output tokens of one generated image by
// size and quality. The figures are OpenAI's published per-image token
// counts for gpt-image-1; gpt-image-2 bills by the tokens it reports, so
// these serve only as the reservation's estimate. "auto" (or no choice)
// takes the largest figure, so the estimate errs on the high side.
var imageOutputTokens = map[string]map[string]int64{
	"1024x1024": {"low": 272, "medium": 1056, "high": 4160},
	"1536x1024": {"low": 408, "medium": 1584, "high": 6240},
	"1024x1536": {"low": 408, "medium": 1584, "high": 6240},
}

const maxImageOutputTokens = 6240

// expectedImageTokens estimates what an image generation will consume: the
// prompt at about one token per three characters (rounded up), and the
// images by size and quality.
func expectedImageTokens(prompt, size, quality string, count int) models.Tokens {
	perImage := int64(maxImageOutputTokens)
	if bySize, ok := imageOutputTokens[size]; ok {
		if n, ok := bySize[quality]; ok {
			perImage = n
		} else {
			perImage = bySize["high"]
		}
	} else if quality != "" && quality != "auto" {
		perImage = imageOutputTokens["1536x1024"][quality]
	}
	return models.Tokens{
		TextInput:   int64(utf8.RuneCountInString(prompt)+2) / 3,
		ImageOutput: perImage * int64(count),
	}
}
