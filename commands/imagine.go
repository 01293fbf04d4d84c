package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// Limits of /imagine. Discord caps a string option at 6,000 characters,
// below the 32,000 that GPT image models accept.
const (
	maxPromptLength = 6000
	maxImages       = 4
)

var imageSizes = []string{"auto", "1024x1024", "1536x1024", "1024x1536"}
var imageQualities = []string{"auto", "low", "medium", "high"}

// allowInDM marks a command usable in direct messages with the bot.
var allowInDM = true

// Imagine returns /imagine prompt [size] [quality] [count].
func Imagine(deps *Deps) *Command {
	minCount, maxCount := float64(1), float64(maxImages)
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:         "imagine",
			Description:  "Create images from a text prompt with OpenAI",
			DMPermission: &allowInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "prompt", Description: "What the image should show", Required: true, MaxLength: maxPromptLength},
				{Type: discordgo.ApplicationCommandOptionString, Name: "size", Description: "Width x height in pixels (default auto)", Choices: choices(imageSizes)},
				{Type: discordgo.ApplicationCommandOptionString, Name: "quality", Description: "Higher quality costs more (default auto)", Choices: choices(imageQualities)},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "Number of images, 1 to 4 (default 1)", MinValue: &minCount, MaxValue: maxCount},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return imagine(ctx, deps, call)
		},
	}
}

func imagine(ctx context.Context, deps *Deps, call *Call) error {
	// Read and check the options; Discord enforces the definition, but a
	// replayed or hand-made payload need not.
	opts := commandOptions(call.Interaction)
	prompt := strings.TrimSpace(opts.text("prompt"))
	size := opts.text("size")
	quality := opts.text("quality")
	count := opts.integer("count", 1)
	if prompt == "" {
		return Userf("The prompt is empty. Describe the image you want, for example `/imagine prompt: a red cube on a beach`.")
	}
	if n := utf8.RuneCountInString(prompt); n > maxPromptLength {
		return Userf("The prompt is %d characters long; the maximum is %d.", n, maxPromptLength)
	}
	if !oneOf(size, imageSizes) {
		return Userf("The size %q is not supported. Choose one of %s.", size, strings.Join(imageSizes, ", "))
	}
	if !oneOf(quality, imageQualities) {
		return Userf("The quality %q is not supported. Choose one of %s.", quality, strings.Join(imageQualities, ", "))
	}
	if count < 1 || count > maxImages {
		return Userf("The count must be between 1 and %d; %d was given.", maxImages, count)
	}

	// Meter: admission, then the deferred response.
	reservation, err := call.Admit(ctx, metering.Charge{
		InteractionID: call.Interaction.ID,
		Caller:        call.Caller,
		Endpoint:      models.EndpointImagesGenerate,
		Model:         deps.ImageModel,
		Size:          size,
		Quality:       quality,
		Units:         count,
		Expected:      expectedImageTokens(prompt, size, quality, count),
		Prompt:        prompt,
	})
	if err != nil {
		if reservation != nil {
			deps.Meter.Release(context.WithoutCancel(ctx), reservation, "not_sent", 0)
		}
		return err
	}

	// Call OpenAI.
	result, err := generate(ctx, deps, call, prompt, size, quality, count)
	if err != nil {
		message := closeFailed(ctx, deps, call, reservation, err)
		return call.Edit(ctx, &discordgo.WebhookEdit{Content: &message})
	}
	cost := settleImages(ctx, deps, call, reservation, result)

	// Respond by editing the deferred response with the images attached.
	files, note := attachImages(result.Images, result.Format)
	content := imagineContent(prompt, cost, allowanceText(reservation.Allowance), note)
	return call.Edit(ctx, &discordgo.WebhookEdit{Content: &content, Files: files})
}

// generation is an image result with how long OpenAI took.
type generation struct {
	openaiclient.ImageResult
	Latency time.Duration
}

// settleImages settles an image request from OpenAI's usage and returns
// the cost to show. When settlement fails the member still gets the
// images they paid for: the row stays pending, recovery settles it at the
// estimate, and the estimate is shown.
func settleImages(ctx context.Context, deps *Deps, call *Call, reservation *metering.Reservation, result generation) models.MicroUSD {
	cost, err := deps.Meter.Settle(context.WithoutCancel(ctx), reservation, metering.Outcome{
		Tokens:       tokensOf(result.Usage),
		Units:        len(result.Images),
		RequestID:    result.RequestID,
		Latency:      result.Latency,
		Attempts:     result.Attempts,
		UsageMissing: !result.Usage.Reported,
	})
	if err != nil {
		deps.Logger.Error("settle image request", slog.String("interaction_id", call.Interaction.ID),
			slog.String("endpoint", reservation.Entry.Endpoint), slog.Any("error", err))
		return reservation.Entry.Estimate
	}
	return cost
}

func generate(ctx context.Context, deps *Deps, call *Call, prompt, size, quality string, count int) (generation, error) {
	ctx, cancel := context.WithTimeout(ctx, deps.OpenAITimeout)
	defer cancel()
	release, err := acquireSlot(ctx, deps.OpenAISlots)
	if err != nil {
		return generation{}, &openaiclient.Error{Operation: "POST /images/generations", Failure: openaiclient.FailureNotSent, Err: err}
	}
	defer release()

	start := time.Now()
	result, err := deps.Images.GenerateImages(ctx, openaiclient.ImageRequest{
		Model:    deps.ImageModel,
		Prompt:   prompt,
		Size:     size,
		Quality:  quality,
		Count:    count,
		SafetyID: deps.SafetyID(call.Caller.DiscordUserID),
	})
	return generation{ImageResult: result, Latency: time.Since(start)}, err
}

func imagineContent(prompt string, cost models.MicroUSD, allowance, note string) string {
	// Escape first, then shorten: escaping can double the length, and the
	// whole message must stay under Discord's 2,000 characters.
	shown := escapeMarkdown(prompt)
	if utf8.RuneCountInString(shown) > 1500 {
		shown = strings.TrimRight(string([]rune(shown)[:1500]), "\\") + "…"
	}
	content := fmt.Sprintf("**%s**\nCost: %s", shown, cost)
	if allowance != "" {
		content += " · " + allowance
	}
	if note != "" {
		content += "\n" + note
	}
	return content
}

func tokensOf(u openaiclient.Usage) models.Tokens {
	return models.Tokens{
		TextInput:   u.TextInputTokens,
		CachedInput: u.CachedInputTokens,
		ImageInput:  u.ImageInputTokens,
		TextOutput:  u.TextOutputTokens,
		ImageOutput: u.ImageOutputTokens,
	}
}

func choices(values []string) []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, len(values))
	for i, v := range values {
		out[i] = &discordgo.ApplicationCommandOptionChoice{Name: v, Value: v}
	}
	return out
}

// oneOf reports whether v is empty (the option was left out) or allowed.
func oneOf(v string, allowed []string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func escapeMarkdown(s string) string {
	r := strings.NewReplacer("*", "\\*", "_", "\\_", "`", "\\`", "~", "\\~", "|", "\\|", ">", "\\>", "@", "@\u200b")
	return r.Replace(s)
}
