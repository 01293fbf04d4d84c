package commands

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// maxContentLength is Discord's limit on a message's content, counted in
// characters.
const maxContentLength = 2000

// maxAnswerMessages is the number of messages an answer may be split into.
// A longer answer is sent as one message with its beginning and the whole
// text attached as answerFileName, so that a channel is not flooded.
const maxAnswerMessages = 5

const answerFileName = "answer.txt"

// fenceClose closes a Markdown code block that a split cuts in two.
const fenceClose = "\n```"

// noMentions keeps the model's text from pinging anyone: Discord parses no
// @everyone, role or user mentions in a message that carries it.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{}
}

// costLine returns the line that shows the member what a request cost and
// what remains of their limits.
func costLine(cost models.MicroUSD, allowance metering.Allowance) string {
	line := "Cost: " + cost.String()
	if remaining := allowanceText(allowance); remaining != "" {
		line += " · " + remaining
	}
	return line
}

// answerMessages lays text out in messages of at most maxContentLength
// characters, with footer as the last line of the last one. Past
// maxAnswerMessages messages it returns a single message with the
// beginning of the text and a note, and the whole text as a file.
func answerMessages(text, footer string) ([]string, *discordgo.File) {
	reserve := 0
	if footer != "" {
		reserve = utf8.RuneCountInString(footer) + 1
	}
	parts := splitMessage(text, maxContentLength-reserve)
	var file *discordgo.File
	if len(parts) > maxAnswerMessages {
		note := "…\n\nThe answer is too long for Discord messages, so all of it is in the attached " + answerFileName + "."
		preview := splitMessage(text, maxContentLength-reserve-utf8.RuneCountInString(note))
		parts = []string{preview[0] + note}
		file = &discordgo.File{Name: answerFileName, ContentType: "text/plain; charset=utf-8", Reader: strings.NewReader(text)}
	}
	if len(parts) == 0 {
		parts = []string{""}
	}
	if footer != "" {
		last := len(parts) - 1
		parts[last] = strings.TrimLeft(parts[last]+"\n"+footer, "\n")
	}
	return parts, file
}

// splitMessage splits text into parts of at most limit characters. It cuts
// at a line break where one lies in the second half of a part, else at the
// last space, and inside a word only when the word alone is longer than
// limit. A code block that a cut splits is closed at the end of one part
// and reopened, with its language, at the start of the next.
func splitMessage(text string, limit int) []string {
	text = strings.TrimSpace(text)
	var parts []string
	fence := ""
	for text != "" {
		prefix := ""
		if fence != "" {
			prefix = fence + "\n"
		}
		room := limit - utf8.RuneCountInString(prefix)
		if room < limit/2 {
			// An absurdly long fence line is not repeated.
			prefix, room = "", limit
		}
		if utf8.RuneCountInString(text) <= room {
			parts = append(parts, prefix+text)
			break
		}

		head, rest := cutText(text, room-utf8.RuneCountInString(fenceClose))
		fence = fenceAfter(fence, head)
		part := prefix + head
		if fence != "" {
			part += fenceClose
		}
		parts = append(parts, part)
		text = rest
	}
	return parts
}

// cutText returns the first part of text, at most room characters long,
// and the rest, split as splitMessage describes.
func cutText(text string, room int) (head, rest string) {
	room = max(room, 1)
	end := len(text)
	for i := range text {
		if room == 0 {
			end = i
			break
		}
		room--
	}
	window := text[:end]

	cut := -1
	if i := strings.LastIndexByte(window, '\n'); i > len(window)/2 {
		cut = i
	} else if i := strings.LastIndexByte(window, ' '); i > 0 {
		cut = i
	} else if i := strings.LastIndexByte(window, '\n'); i > 0 {
		cut = i
	}
	if cut <= 0 {
		// One word is longer than a whole message.
		return window, text[end:]
	}
	// The line break or space at the cut is dropped. Indentation at the
	// start of the next line stays, because code needs it.
	return strings.TrimRight(window[:cut], " \n"), strings.TrimLeft(text[cut+1:], "\n")
}

// fenceAfter returns the opening line of the code block still open at the
// end of chunk, given the one open at its start, or "" when none is.
func fenceAfter(fence, chunk string) string {
	for _, line := range strings.Split(chunk, "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		if fence == "" {
			fence = trimmed
		} else {
			fence = ""
		}
	}
	return fence
}

// deliverToInteraction edits the original response with the first message
// and sends the others as public follow-ups.
func deliverToInteraction(ctx context.Context, call *Call, parts []string, file *discordgo.File) error {
	edit := &discordgo.WebhookEdit{Content: &parts[0], AllowedMentions: noMentions()}
	if file != nil {
		edit.Files = []*discordgo.File{file}
	}
	if err := call.Edit(ctx, edit); err != nil {
		return err
	}
	for _, part := range parts[1:] {
		err := call.responder.Followup(ctx, call.Interaction, &discordgo.WebhookParams{Content: part, AllowedMentions: noMentions()})
		if err != nil {
			return fmt.Errorf("send follow-up: %w", err)
		}
	}
	return nil
}

// deliverToChannel posts the messages in a channel, such as the thread of
// a new conversation.
func deliverToChannel(ctx context.Context, poster ChannelPoster, channelID string, parts []string, file *discordgo.File) error {
	for i, part := range parts {
		message := &discordgo.MessageSend{Content: part, AllowedMentions: noMentions()}
		if i == 0 && file != nil {
			message.Files = []*discordgo.File{file}
		}
		if err := poster.SendMessage(ctx, channelID, message); err != nil {
			return fmt.Errorf("post answer in channel %s: %w", channelID, err)
		}
	}
	return nil
}

// quoteMessage returns the member's message as a one-line quote with their
// mention, at most 300 characters, to head the answer.
func quoteMessage(discordUserID, message string) string {
	line := strings.Join(strings.Fields(message), " ")
	if utf8.RuneCountInString(line) > 300 {
		line = string([]rune(line)[:299]) + "…"
	}
	return fmt.Sprintf("> <@%s>: %s", discordUserID, escapeMarkdown(line))
}
