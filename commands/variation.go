package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/imageinput"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// maxConversions bounds the images decoded at once in one process, because
// an image at imageinput.MaxPixels takes a few hundred megabytes to convert.
const maxConversions = 2

// dallEMaxSide is the largest output side of dall-e-2 variations, so a
// larger input only makes the upload bigger.
const dallEMaxSide = 1024

// variationInstruction is the edit prompt that requests a close variation
// from a GPT image model.
const variationInstruction = "Create a close variation of the attached image. Keep its subject, composition, " +
	"style and colours, and change small details so that it is a new picture of the same scene."

// Variation returns /variation image [prompt] [count].
func Variation(deps *Deps) *Command {
	minCount, maxCount := float64(1), float64(maxImages)
	fetcher := imageinput.NewFetcher(deps.HTTPClient, deps.AttachmentHosts, imageinput.MaxDownloadBytes)
	conversions := make(chan struct{}, maxConversions)
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:         "variation",
			Description:  "Make variations of an image with OpenAI",
			DMPermission: &allowInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionAttachment, Name: "image", Description: "The image to vary: PNG, JPEG, WebP, GIF, BMP or TIFF", Required: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "prompt", Description: "How the variations should differ (optional)", MaxLength: maxPromptLength},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "Number of images, 1 to 4 (default 1)", MinValue: &minCount, MaxValue: maxCount},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			v := &variationRun{deps: deps, call: call, fetcher: fetcher, conversions: conversions}
			return v.run(ctx)
		},
	}
}

// variationRun is one /variation interaction.
type variationRun struct {
	deps        *Deps
	call        *Call
	fetcher     *imageinput.Fetcher
	conversions chan struct{}
}

func (v *variationRun) run(ctx context.Context) error {
	deps, call := v.deps, v.call

	// Read and check the options. The attachment is looked up by its ID in
	// the resolved data; the option's value is only that ID.
	opts := commandOptions(call.Interaction)
	attachment, err := resolveAttachment(call.Interaction, opts, "image")
	if err != nil {
		return err
	}
	prompt := strings.TrimSpace(opts.text("prompt"))
	count := opts.integer("count", 1)
	if n := utf8.RuneCountInString(prompt); n > maxPromptLength {
		return Userf("The prompt is %d characters long; the maximum is %d.", n, maxPromptLength)
	}
	if count < 1 || count > maxImages {
		return Userf("The count must be between 1 and %d; %d was given.", maxImages, count)
	}

	// Check what Discord declares about the file before anything is
	// downloaded or charged.
	if err := v.fetcher.CheckURL(attachment.URL); err != nil {
		return v.rejected(err)
	}
	if err := v.fetcher.CheckSize(int64(attachment.Size)); err != nil {
		return v.rejected(err)
	}
	if err := imageinput.CheckPixels(attachment.Width, attachment.Height, imageinput.MaxPixels); err != nil {
		return v.rejected(err)
	}
	dallE := usesVariationsEndpoint(deps.ImageModel)
	fullPrompt := variationPrompt(prompt)

	// Meter: admission, then the deferred response. Downloading and
	// converting come after it, because they may take longer than
	// Discord's 3 seconds.
	reservation, err := call.Admit(ctx, metering.Charge{
		InteractionID: call.Interaction.ID,
		Caller:        call.Caller,
		Endpoint:      models.EndpointImagesVariation,
		Model:         deps.ImageModel,
		Units:         count,
		Expected:      expectedVariationTokens(fullPrompt, attachment.Width, attachment.Height, count),
		Prompt:        prompt,
	})
	if err != nil {
		if reservation != nil {
			v.release(ctx, reservation, "not_sent")
		}
		return err
	}

	// Download and convert the image. A file that cannot be used releases
	// the reservation, so it costs nothing.
	prepared, err := v.prepare(ctx, attachment, dallE)
	if err != nil {
		v.release(ctx, reservation, "attachment_rejected")
		return v.rejected(err)
	}

	// Call OpenAI.
	result, err := v.vary(ctx, prepared, fullPrompt, count, dallE)
	if err != nil {
		message := closeFailed(ctx, deps, call, reservation, err)
		return call.Edit(ctx, &discordgo.WebhookEdit{Content: &message})
	}
	cost := settleImages(ctx, deps, call, reservation, result)

	// Respond by editing the deferred response with the images attached.
	files, note := attachImages(result.Images, result.Format)
	notes := []string{}
	if prepared.Changes != "" {
		notes = append(notes, "Before sending, Tally "+prepared.Changes+".")
	}
	if dallE && prompt != "" {
		notes = append(notes, "The prompt was not used, because dall-e-2 variations take no prompt.")
	}
	if note != "" {
		notes = append(notes, note)
	}
	content := variationContent(attachment.Filename, prompt, cost, allowanceText(reservation.Allowance), notes)
	return call.Edit(ctx, &discordgo.WebhookEdit{Content: &content, Files: files})
}

// resolveAttachment returns the attachment an attachment option names.
// The option's value is the attachment's ID, and Discord sends the file's
// URL, size and dimensions in data.resolved.attachments under that ID.
func resolveAttachment(in *discordgo.Interaction, opts options, name string) (*discordgo.MessageAttachment, error) {
	opt, ok := opts[name]
	if !ok || opt.Type != discordgo.ApplicationCommandOptionAttachment {
		return nil, Userf("Attach an image to the `%s` option of /variation.", name)
	}
	id, _ := opt.Value.(string)
	resolved := in.ApplicationCommandData().Resolved
	var attachment *discordgo.MessageAttachment
	if resolved != nil && id != "" {
		attachment = resolved.Attachments[id]
	}
	if attachment == nil || attachment.URL == "" {
		return nil, Userf("Discord did not send the attached image with the command. Attach the image again and retry. Nothing was charged.")
	}
	return attachment, nil
}

// prepare downloads the attachment and converts it for the target model.
func (v *variationRun) prepare(ctx context.Context, attachment *discordgo.MessageAttachment, dallE bool) (imageinput.Prepared, error) {
	data, err := v.fetcher.Fetch(ctx, attachment.URL, int64(attachment.Size))
	if err != nil {
		return imageinput.Prepared{}, err
	}

	release, err := acquireSlot(ctx, v.conversions)
	if err != nil {
		return imageinput.Prepared{}, fmt.Errorf("wait to convert attachment: %w", err)
	}
	defer release()
	if dallE {
		return imageinput.ForVariation(data, imageinput.MaxPixels, openaiclient.MaxDallEImageInputBytes, dallEMaxSide)
	}
	return imageinput.ForEdit(data, imageinput.MaxPixels, openaiclient.MaxGPTImageInputBytes)
}

// rejected turns an unusable attachment into the member's message, and
// passes any other error on. A failed download is logged with its cause.
func (v *variationRun) rejected(err error) error {
	rejection, ok := imageinput.AsRejection(err)
	if !ok {
		return err
	}
	if errors.Is(rejection, imageinput.ErrUnavailable) && rejection.Cause != nil {
		v.deps.Logger.Warn("download attachment", v.logAttrs(slog.Any("error", rejection.Cause))...)
	}
	return &UserError{Message: rejection.Reason + " Nothing was charged."}
}

// release closes a reservation whose request was never sent.
func (v *variationRun) release(ctx context.Context, r *metering.Reservation, failure string) {
	if err := v.deps.Meter.Release(context.WithoutCancel(ctx), r, failure, 0); err != nil {
		v.deps.Logger.Error("release ledger row", v.logAttrs(slog.Any("error", err))...)
	}
}

// vary sends the prepared image to OpenAI: an image edit with a GPT image
// model, or a dall-e-2 variation.
func (v *variationRun) vary(ctx context.Context, prepared imageinput.Prepared, prompt string, count int, dallE bool) (generation, error) {
	ctx, cancel := context.WithTimeout(ctx, v.deps.OpenAITimeout)
	defer cancel()
	operation := "POST /images/edits"
	if dallE {
		operation = "POST /images/variations"
	}
	release, err := acquireSlot(ctx, v.deps.OpenAISlots)
	if err != nil {
		return generation{}, &openaiclient.Error{Operation: operation, Failure: openaiclient.FailureNotSent, Err: err}
	}
	defer release()

	safetyID := v.deps.SafetyID(v.call.Caller.DiscordUserID)
	start := time.Now()
	var result openaiclient.ImageResult
	if dallE {
		result, err = v.deps.OpenAI.VaryImage(ctx, openaiclient.VariationRequest{
			Model: v.deps.ImageModel, Image: prepared.Data, Count: count, SafetyID: safetyID,
		})
	} else {
		result, err = v.deps.OpenAI.EditImages(ctx, openaiclient.EditRequest{
			Model: v.deps.ImageModel, Prompt: prompt, Image: prepared.Data, Count: count, SafetyID: safetyID,
		})
	}
	return generation{ImageResult: result, Latency: time.Since(start)}, err
}

func (v *variationRun) logAttrs(attrs ...any) []any {
	return append([]any{
		slog.String("command", "variation"), slog.String("interaction_id", v.call.Interaction.ID),
		slog.String("user_id", v.call.Caller.DiscordUserID), slog.String("guild_id", v.call.Caller.GuildID),
		slog.String("endpoint", models.EndpointImagesVariation),
	}, attrs...)
}

// usesVariationsEndpoint reports whether model is dall-e-2, the one model
// that serves POST /images/variations; every other model gets an edit.
func usesVariationsEndpoint(model string) bool {
	return strings.HasPrefix(strings.ToLower(model), "dall-e-2")
}

// variationPrompt is the edit prompt: the request for a close variation,
// steered by the member's prompt when there is one.
func variationPrompt(steer string) string {
	if steer == "" {
		return variationInstruction
	}
	return variationInstruction + " Follow this direction for the changes: " + steer
}

// expectedVariationTokens estimates an edit's tokens: the prompt and the
// output images as for /imagine at size and quality auto, plus the input
// image by its declared width and height.
func expectedVariationTokens(prompt string, width, height, count int) models.Tokens {
	tokens := expectedImageTokens(prompt, "", "", count)
	tokens.ImageInput = estimateImageInputTokens(width, height)
	return tokens
}

// estimateImageInputTokens estimates the input tokens of one image with
// the tile rule OpenAI gives for GPT-4o vision at high detail. The image is
// scaled to fit 2048×2048, then its shorter side down to 768 pixels. It
// costs 85 tokens plus 170 for each 512-pixel tile it spans. An unknown
// size counts as the largest result, 8 tiles.
//
// NOTE: OpenAI publishes no such rule for gpt-image-2, so this is only the
// reservation's estimate; settlement uses the tokens OpenAI reports.
func estimateImageInputTokens(width, height int) int64 {
	const base, perTile, maxTiles = 85, 170, 8
	if width <= 0 || height <= 0 {
		return base + perTile*maxTiles
	}
	w, h := float64(width), float64(height)
	if longest := max(w, h); longest > 2048 {
		w, h = w*2048/longest, h*2048/longest
	}
	if shortest := min(w, h); shortest > 768 {
		w, h = w*768/shortest, h*768/shortest
	}
	tiles := int64((int(w) + 511) / 512 * ((int(h) + 511) / 512))
	return base + perTile*min(tiles, maxTiles)
}

// variationContent is the response text. The file name and prompt are
// shortened after escaping, so that the content stays well inside
// Discord's 2,000 characters whatever they contain.
func variationContent(filename, prompt string, cost models.MicroUSD, allowance string, notes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Variation of %s**", escapeWithin(filename, 150))
	if prompt != "" {
		fmt.Fprintf(&b, ": %s", escapeWithin(prompt, 1200))
	}
	fmt.Fprintf(&b, "\nCost: %s", cost)
	if allowance != "" {
		b.WriteString(" · " + allowance)
	}
	for _, note := range notes {
		b.WriteString("\n" + note)
	}
	return b.String()
}

// escapeWithin escapes Markdown in s and cuts the result to at most
// maxRunes characters, never inside an escape, ending with "…" when cut.
func escapeWithin(s string, maxRunes int) string {
	if full := escapeMarkdown(s); utf8.RuneCountInString(full) <= maxRunes {
		return full
	}
	var b strings.Builder
	length := 0
	for _, r := range s {
		escaped := escapeMarkdown(string(r))
		n := utf8.RuneCountInString(escaped)
		if length+n > maxRunes-1 {
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(escaped)
		length += n
	}
	return b.String()
}
