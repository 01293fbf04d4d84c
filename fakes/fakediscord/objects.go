package fakediscord

import (
	"encoding/json"
	"time"
)

// Channel types the fake models.
const (
	ChannelTypeGuildText          = 0
	ChannelTypeDM                 = 1
	ChannelTypeGuildAnnouncement  = 5
	ChannelTypeAnnouncementThread = 10
	ChannelTypePublicThread       = 11
	ChannelTypePrivateThread      = 12
	ChannelTypeGuildForum         = 15
)

// User is a Discord user. It marshals to the full user object Discord
// sends, with null for the fields the fake does not model.
type User struct {
	ID       string
	Username string
	// GlobalName is the display name; "" marshals as null.
	GlobalName string
	// Discriminator is "0" for users on the new username system; ""
	// marshals as "0".
	Discriminator string
	// Avatar is the avatar hash; "" marshals as null.
	Avatar      string
	PublicFlags int
	Bot         bool
}

// MarshalJSON writes the user object.
func (u User) MarshalJSON() ([]byte, error) {
	discriminator := u.Discriminator
	if discriminator == "" {
		discriminator = "0"
	}
	out := map[string]any{
		"id":                     u.ID,
		"username":               u.Username,
		"global_name":            nullIfEmpty(u.GlobalName),
		"discriminator":          discriminator,
		"avatar":                 nullIfEmpty(u.Avatar),
		"public_flags":           u.PublicFlags,
		"flags":                  u.PublicFlags,
		"avatar_decoration_data": nil,
		"collectibles":           nil,
		"primary_guild":          nil,
		"clan":                   nil,
	}
	if u.Bot {
		out["bot"] = true
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a user object.
func (u *User) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID            string  `json:"id"`
		Username      string  `json:"username"`
		GlobalName    *string `json:"global_name"`
		Discriminator string  `json:"discriminator"`
		Avatar        *string `json:"avatar"`
		PublicFlags   int     `json:"public_flags"`
		Bot           bool    `json:"bot"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*u = User{ID: raw.ID, Username: raw.Username, Discriminator: raw.Discriminator, PublicFlags: raw.PublicFlags, Bot: raw.Bot}
	if raw.GlobalName != nil {
		u.GlobalName = *raw.GlobalName
	}
	if raw.Avatar != nil {
		u.Avatar = *raw.Avatar
	}
	return nil
}

// Member is a member of a server, as sent in an interaction.
type Member struct {
	User User
	// Roles lists role IDs.
	Roles []string
	// Permissions is the member's permission bit set in the channel, as a
	// decimal string.
	Permissions string
	JoinedAt    time.Time
	// Nick is the server nickname; "" marshals as null.
	Nick string
}

// MarshalJSON writes the guild member object of an interaction.
func (m Member) MarshalJSON() ([]byte, error) {
	out := m.fields()
	out["user"] = m.User
	out["deaf"] = false
	out["mute"] = false
	return json.Marshal(out)
}

// fields returns the member object without user, deaf and mute, the form
// used in resolved data.
func (m Member) fields() map[string]any {
	roles := m.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"roles":                        roles,
		"permissions":                  m.Permissions,
		"joined_at":                    formatTime(m.JoinedAt),
		"nick":                         nullIfEmpty(m.Nick),
		"avatar":                       nil,
		"banner":                       nil,
		"collectibles":                 nil,
		"communication_disabled_until": nil,
		"premium_since":                nil,
		"unusual_dm_activity_until":    nil,
		"flags":                        0,
		"pending":                      false,
	}
}

// Channel is a channel, DM or thread.
type Channel struct {
	ID      string
	Type    int
	GuildID string
	Name    string
	// ParentID is a thread's channel, or a channel's category.
	ParentID string
	// Recipients are the other users of a DM.
	Recipients []User
	// Permissions is the invoking member's permission bit set, sent in
	// interactions; "" leaves it out.
	Permissions string
	// OwnerID, AutoArchiveDuration, Invitable and CreatedAt describe
	// threads.
	OwnerID             string
	AutoArchiveDuration int
	Invitable           bool
	CreatedAt           time.Time
	RateLimitPerUser    int
	// MessageCount counts the messages sent in a thread.
	MessageCount int
}

// IsThread reports whether the channel is a thread.
func (c Channel) IsThread() bool {
	return c.Type == ChannelTypeAnnouncementThread || c.Type == ChannelTypePublicThread || c.Type == ChannelTypePrivateThread
}

// MarshalJSON writes the channel object for the channel's type.
func (c Channel) MarshalJSON() ([]byte, error) {
	out := map[string]any{
		"id":              c.ID,
		"type":            c.Type,
		"flags":           0,
		"last_message_id": nil,
	}
	if c.Type == ChannelTypeDM {
		recipients := c.Recipients
		if recipients == nil {
			recipients = []User{}
		}
		out["recipients"] = recipients
		out["recipient_flags"] = 0
		return json.Marshal(out)
	}

	out["guild_id"] = c.GuildID
	out["name"] = c.Name
	out["parent_id"] = nullIfEmpty(c.ParentID)
	out["rate_limit_per_user"] = c.RateLimitPerUser
	if c.Permissions != "" {
		out["permissions"] = c.Permissions
	}
	if !c.IsThread() {
		out["position"] = 0
		out["nsfw"] = false
		out["topic"] = nil
		return json.Marshal(out)
	}

	out["owner_id"] = c.OwnerID
	out["message_count"] = c.MessageCount
	out["total_message_sent"] = c.MessageCount
	out["member_count"] = 1
	metadata := map[string]any{
		"archived":              false,
		"archive_timestamp":     formatTime(c.CreatedAt),
		"auto_archive_duration": c.AutoArchiveDuration,
		"locked":                false,
		"create_timestamp":      formatTime(c.CreatedAt),
	}
	if c.Type == ChannelTypePrivateThread {
		metadata["invitable"] = c.Invitable
	}
	out["thread_metadata"] = metadata
	return json.Marshal(out)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
