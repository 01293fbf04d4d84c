package fakediscord

import (
	"encoding/json"
	"slices"
	"time"
)

// Message flags the fake reads or sets.
const (
	FlagSuppressEmbeds        = 1 << 2
	FlagEphemeral             = 1 << 6
	FlagLoading               = 1 << 7
	FlagSuppressNotifications = 1 << 12
	FlagIsVoiceMessage        = 1 << 13
	FlagIsComponentsV2        = 1 << 15
)

// Message types the fake creates.
const (
	MessageTypeDefault          = 0
	MessageTypeReply            = 19
	MessageTypeChatInputCommand = 20
)

// Message is the fake's state of one message, as a test reads it.
type Message struct {
	ID        string
	ChannelID string
	GuildID   string
	Type      int
	Content   string
	Embeds    []Embed
	// Attachments keeps the bytes of each uploaded file.
	Attachments []Attachment
	// Components keeps each top-level component as sent.
	Components []json.RawMessage
	Flags      int
	AuthorID   string
	// WebhookID and InteractionID are set on interaction responses and
	// follow-ups.
	WebhookID     string
	InteractionID string
	CreatedAt     time.Time
	// EditedAt is the time of the last edit, or zero.
	EditedAt time.Time
	// Edits counts the successful edits.
	Edits int
	// ThreadID is the thread started from this message, or "".
	ThreadID string

	// metadata is the interaction_metadata object of an interaction
	// response, kept so that rendering needs no lookup.
	metadata map[string]any
}

// Ephemeral reports whether the message is visible only to the invoking
// member.
func (m Message) Ephemeral() bool { return m.Flags&FlagEphemeral != 0 }

// Loading reports whether the message is a deferred response still
// showing "thinking…".
func (m Message) Loading() bool { return m.Flags&FlagLoading != 0 }

func (m Message) clone() Message {
	m.Embeds = slices.Clone(m.Embeds)
	m.Attachments = slices.Clone(m.Attachments)
	m.Components = slices.Clone(m.Components)
	return m
}

// Embed is a rich embed, with the fields the fake checks limits on.
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Type        string       `json:"type,omitempty"`
	Description string       `json:"description,omitempty"`
	URL         string       `json:"url,omitempty"`
	Timestamp   string       `json:"timestamp,omitempty"`
	Color       int          `json:"color,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
	Image       *EmbedMedia  `json:"image,omitempty"`
	Thumbnail   *EmbedMedia  `json:"thumbnail,omitempty"`
	Author      *EmbedAuthor `json:"author,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedMedia is an embed's image or thumbnail.
type EmbedMedia struct {
	URL string `json:"url"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedField is one name and value pair of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Attachment is a file on a message or in an interaction's resolved data.
// Data, never sent as JSON, keeps the bytes.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
	ProxyURL    string `json:"proxy_url"`
	// Width and Height are set for images the fake can decode (PNG, JPEG
	// and GIF).
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Ephemeral bool   `json:"ephemeral,omitempty"`
	Data      []byte `json:"-"`
}

// renderMessage returns the message object of Discord's responses. It
// reads no shared state, so callers may hold s.mu.
func (s *Server) renderMessage(m Message) map[string]any {
	embeds := make([]any, 0, len(m.Embeds))
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = "rich"
		}
		embeds = append(embeds, e)
	}
	attachments := make([]Attachment, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		a.Ephemeral = m.Ephemeral()
		attachments = append(attachments, a)
	}
	components := make([]json.RawMessage, 0, len(m.Components))
	components = append(components, m.Components...)

	var edited any
	if !m.EditedAt.IsZero() {
		edited = formatTime(m.EditedAt)
	}
	out := map[string]any{
		"id":               m.ID,
		"type":             m.Type,
		"channel_id":       m.ChannelID,
		"content":          m.Content,
		"author":           s.botUser(),
		"attachments":      attachments,
		"embeds":           embeds,
		"components":       components,
		"mentions":         []any{},
		"mention_roles":    []any{},
		"mention_everyone": false,
		"pinned":           false,
		"tts":              false,
		"timestamp":        formatTime(m.CreatedAt),
		"edited_timestamp": edited,
		"flags":            m.Flags,
	}
	if m.GuildID != "" {
		out["guild_id"] = m.GuildID
	}
	if m.WebhookID != "" {
		out["webhook_id"] = m.WebhookID
		out["application_id"] = s.opts.ApplicationID
	}
	if m.metadata != nil {
		out["interaction_metadata"] = m.metadata
	}
	if m.ThreadID != "" {
		out["thread"] = map[string]any{"id": m.ThreadID}
	}
	return out
}

// interactionMetadata is the interaction_metadata object of a response
// message.
func interactionMetadata(in Interaction) map[string]any {
	out := map[string]any{
		"id":                             in.ID,
		"type":                           in.Type,
		"authorizing_integration_owners": in.AuthorizingIntegrationOwners,
	}
	if user := in.invoker(); user != nil {
		out["user"] = *user
	}
	if in.Data != nil {
		out["name"] = in.Data.Name
		out["command_type"] = in.Data.Type
	}
	return out
}

// botUser is the bot's user object.
func (s *Server) botUser() User {
	return User{ID: s.opts.BotUserID, Username: s.opts.BotUsername, Discriminator: "0000", Bot: true}
}

// formatTime writes a timestamp the way Discord does:
// 2025-02-28T14:56:24.701000+00:00.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00")
}
