package demo

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
)

// discordTimestamp matches Discord's timestamp markup, <t:UNIX:STYLE>,
// which clients show in each reader's own time zone.
var discordTimestamp = regexp.MustCompile(`<t:(\d+):([a-zA-Z])>`)

// readable replaces Discord timestamps with UTC times, as the terminal has
// no Discord client to render them.
func readable(text string) string {
	return discordTimestamp.ReplaceAllStringFunc(text, func(m string) string {
		parts := discordTimestamp.FindStringSubmatch(m)
		seconds, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return m
		}
		formatted := time.Unix(seconds, 0).UTC().Format("2006-01-02 15:04 UTC")
		if parts[2] == "R" {
			// Relative times read as "in 3 hours" in a Discord client.
			return "at " + formatted
		}
		return formatted
	})
}

// seen renders what the member saw of an interaction: the reply or the
// edited response, its embeds and attachments, and any follow-ups.
func seen(state fakediscord.InteractionState) string {
	var b strings.Builder
	if state.Original != nil && !state.OriginalDeleted {
		writeMessage(&b, *state.Original)
	}
	for _, f := range state.Followups {
		writeMessage(&b, f)
	}
	if b.Len() == 0 && state.Response != nil {
		var data struct {
			Content string `json:"content"`
			Flags   int    `json:"flags"`
		}
		json.Unmarshal(state.Response.Data, &data)
		writeText(&b, data.Content, data.Flags&64 != 0)
	}
	return b.String()
}

func writeMessage(b *strings.Builder, m fakediscord.Message) {
	writeText(b, m.Content, m.Ephemeral())
	for _, e := range m.Embeds {
		raw, _ := json.Marshal(e)
		var embed struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			Fields      []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"fields"`
		}
		json.Unmarshal(raw, &embed)
		if embed.Title != "" {
			fmt.Fprintf(b, "[%s]\n", embed.Title)
		}
		if embed.Description != "" {
			fmt.Fprintln(b, readable(embed.Description))
		}
		for _, f := range embed.Fields {
			fmt.Fprintf(b, "%s: %s\n", f.Name, readable(strings.ReplaceAll(f.Value, "\n", "; ")))
		}
	}
	for _, a := range m.Attachments {
		raw, _ := json.Marshal(a)
		var att struct {
			Filename string `json:"filename"`
			Size     int    `json:"size"`
		}
		json.Unmarshal(raw, &att)
		fmt.Fprintf(b, "(attachment %s, %d bytes)\n", att.Filename, att.Size)
	}
}

func writeText(b *strings.Builder, content string, ephemeral bool) {
	if content == "" {
		return
	}
	if ephemeral {
		b.WriteString("(only you can see this) ")
	}
	fmt.Fprintln(b, readable(content))
}

func describeOptions(options []fakediscord.Option) string {
	raw, _ := json.Marshal(options)
	var opts []struct {
		Name    string          `json:"name"`
		Value   any             `json:"value"`
		Options json.RawMessage `json:"options"`
	}
	json.Unmarshal(raw, &opts)
	var parts []string
	for _, o := range opts {
		if o.Value == nil {
			parts = append(parts, o.Name)
			var inner []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			}
			json.Unmarshal(o.Options, &inner)
			for _, i := range inner {
				parts = append(parts, fmt.Sprintf("%s:%v", i.Name, i.Value))
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%v", o.Name, o.Value))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}
