package commands

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// variationPayload is a /variation interaction as Discord sends it: the
// option's value is the attachment ID, and the file is described under
// data.resolved.attachments.
const variationPayload = `{
	"id": "1300000000000000001", "type": 2, "token": "tok", "version": 1,
	"guild_id": "555", "channel_id": "222",
	"member": {"user": {"id": "333", "username": "alice"}, "permissions": "2147601408"},
	"data": {
		"id": "1300000000000000002", "name": "variation", "type": 1,
		"options": [{"name": "image", "type": 11, "value": "444"}],
		"resolved": {"attachments": {"444": {
			"id": "444", "filename": "cat.gif", "content_type": "image/gif", "size": 2048,
			"width": 600, "height": 400, "ephemeral": true,
			"url": "https://cdn.discordapp.com/ephemeral-attachments/222/444/cat.gif?ex=68f1a2b3&is=68f05133&hm=ab12&",
			"proxy_url": "https://media.discordapp.net/ephemeral-attachments/222/444/cat.gif?ex=68f1a2b3&is=68f05133&hm=ab12&"
		}}}
	}
}`

func decodeInteraction(t *testing.T, payload string) *discordgo.Interaction {
	t.Helper()
	var in discordgo.Interaction
	if err := json.Unmarshal([]byte(payload), &in); err != nil {
		t.Fatalf("decode interaction: %v", err)
	}
	return &in
}

func TestResolveAttachmentByID(t *testing.T) {
	in := decodeInteraction(t, variationPayload)

	got, err := resolveAttachment(in, commandOptions(in), "image")
	if err != nil {
		t.Fatalf("resolveAttachment: %v", err)
	}

	const wantURL = "https://cdn.discordapp.com/ephemeral-attachments/222/444/cat.gif?ex=68f1a2b3&is=68f05133&hm=ab12&"
	if got.URL != wantURL {
		t.Errorf("URL = %q, want %q", got.URL, wantURL)
	}
	if got.Size != 2048 || got.Width != 600 || got.Height != 400 {
		t.Errorf("size %d, %d×%d; want 2048 bytes, 600×400", got.Size, got.Width, got.Height)
	}
}

func TestResolveAttachmentMissing(t *testing.T) {
	tests := []struct {
		name    string
		payload string
	}{
		{name: "ID not in resolved", payload: strings.Replace(variationPayload, `"value": "444"`, `"value": "445"`, 1)},
		{name: "no resolved data", payload: strings.Replace(variationPayload, `"resolved"`, `"unresolved"`, 1)},
		{name: "no image option", payload: strings.Replace(variationPayload, `"name": "image"`, `"name": "picture"`, 1)},
		{name: "image given as text", payload: strings.Replace(variationPayload, `"type": 11`, `"type": 3`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeInteraction(t, tt.payload)

			got, err := resolveAttachment(in, commandOptions(in), "image")

			var userErr *UserError
			if !errors.As(err, &userErr) {
				t.Fatalf("resolveAttachment = %v, %v; want a *UserError", got, err)
			}
			if !strings.Contains(userErr.Message, "Attach") {
				t.Errorf("message %q does not say what to do", userErr.Message)
			}
		})
	}
}

func TestEstimateImageInputTokens(t *testing.T) {
	tests := []struct {
		name          string
		width, height int
		want          int64
	}{
		{name: "one tile", width: 512, height: 512, want: 85 + 170},
		{name: "600×400 spans two tiles", width: 600, height: 400, want: 85 + 2*170},
		{name: "1024 square", width: 1024, height: 1024, want: 85 + 4*170},
		{name: "4096 square scales to 768", width: 4096, height: 4096, want: 85 + 4*170},
		{name: "wide panorama", width: 8000, height: 1000, want: 85 + 4*170},
		{name: "unknown size", width: 0, height: 0, want: 85 + 8*170},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := estimateImageInputTokens(tt.width, tt.height); got != tt.want {
				t.Errorf("estimateImageInputTokens(%d, %d) = %d, want %d", tt.width, tt.height, got, tt.want)
			}
		})
	}
}

func TestVariationPromptSteers(t *testing.T) {
	if got := variationPrompt(""); got != variationInstruction {
		t.Errorf("prompt without a steer = %q, want the instruction alone", got)
	}
	got := variationPrompt("make it night")
	if !strings.HasPrefix(got, variationInstruction) || !strings.HasSuffix(got, "make it night") {
		t.Errorf("steered prompt = %q, want the instruction then the steer", got)
	}
}

func TestVariationContentFitsDiscord(t *testing.T) {
	longName := strings.Repeat("n", 500) + ".png"
	longPrompt := strings.Repeat("p*", 3000)
	notes := []string{"Before sending, Tally converted the image from GIF to PNG.", "2 of the images were too large for Discord to attach."}

	got := variationContent(longName, longPrompt, 41_000, "3 requests left today", notes)

	if n := utf8.RuneCountInString(got); n > 2000 {
		t.Errorf("content is %d characters, above Discord's 2000", n)
	}
	for _, want := range []string{"Cost: $0.041", "3 requests left today", notes[0], notes[1]} {
		if !strings.Contains(got, want) {
			t.Errorf("content %q does not contain %q", got, want)
		}
	}
}
