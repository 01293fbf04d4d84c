package fakediscord

import (
	"encoding/json"
	"maps"
)

// Interaction types.
const (
	InteractionTypePing             = 1
	InteractionTypeApplicationCmd   = 2
	InteractionTypeMessageComponent = 3
	InteractionTypeAutocomplete     = 4
	InteractionTypeModalSubmit      = 5
)

// Interaction contexts: where a command was used.
const (
	ContextGuild          = 0
	ContextBotDM          = 1
	ContextPrivateChannel = 2
)

// Application command option types.
const (
	OptionTypeSubcommand      = 1
	OptionTypeSubcommandGroup = 2
	OptionTypeString          = 3
	OptionTypeInteger         = 4
	OptionTypeBoolean         = 5
	OptionTypeUser            = 6
	OptionTypeChannel         = 7
	OptionTypeRole            = 8
	OptionTypeMentionable     = 9
	OptionTypeNumber          = 10
	OptionTypeAttachment      = 11
)

// Interaction is an interaction as Discord sends it in INTERACTION_CREATE
// and to an interactions endpoint. Build one with GuildCommand or
// DMCommand and change fields as a test needs.
type Interaction struct {
	ID            string
	ApplicationID string
	Type          int
	Data          *CommandData
	// GuildID, GuildLocale and GuildFeatures are set in a server and empty
	// in a DM, where the guild fields are left out of the JSON.
	GuildID       string
	GuildLocale   string
	GuildFeatures []string
	ChannelID     string
	Channel       Channel
	// Member is the invoking member in a server; User is the invoking
	// user in a DM. Exactly one is set.
	Member         *Member
	User           *User
	Token          string
	Version        int
	AppPermissions string
	Locale         string
	Entitlements   []json.RawMessage
	// AuthorizingIntegrationOwners maps an installation type ("0" for a
	// server install, "1" for a user install) to the server or user ID.
	AuthorizingIntegrationOwners map[string]string
	Context                      int
	AttachmentSizeLimit          int64
	// Message is the message of a component interaction, as raw JSON.
	Message json.RawMessage
}

// invoker returns the invoking user, from member.user in a server and user
// in a DM.
func (in Interaction) invoker() *User {
	if in.Member != nil {
		return &in.Member.User
	}
	return in.User
}

// MarshalJSON writes the interaction object.
func (in Interaction) MarshalJSON() ([]byte, error) {
	entitlements := in.Entitlements
	if entitlements == nil {
		entitlements = []json.RawMessage{}
	}
	out := map[string]any{
		"id":                             in.ID,
		"application_id":                 in.ApplicationID,
		"type":                           in.Type,
		"channel_id":                     in.ChannelID,
		"channel":                        in.Channel,
		"token":                          in.Token,
		"version":                        in.Version,
		"app_permissions":                in.AppPermissions,
		"locale":                         in.Locale,
		"entitlements":                   entitlements,
		"authorizing_integration_owners": in.AuthorizingIntegrationOwners,
		"context":                        in.Context,
		"attachment_size_limit":          in.AttachmentSizeLimit,
	}
	if in.Data != nil {
		out["data"] = in.Data
	}
	if in.GuildID != "" {
		features := in.GuildFeatures
		if features == nil {
			features = []string{}
		}
		out["guild_id"] = in.GuildID
		out["guild_locale"] = in.GuildLocale
		out["guild"] = map[string]any{"id": in.GuildID, "locale": in.GuildLocale, "features": features}
	}
	if in.Member != nil {
		out["member"] = in.Member
	}
	if in.User != nil {
		out["user"] = in.User
	}
	if in.Message != nil {
		out["message"] = in.Message
	}
	return json.Marshal(out)
}

// CommandData is the data of an application command interaction.
type CommandData struct {
	ID   string
	Name string
	// Type is 1 for a slash command.
	Type int
	// GuildID is set when the command is registered for one server.
	GuildID  string
	Options  []Option
	Resolved Resolved
}

// MarshalJSON writes the interaction data object.
func (d CommandData) MarshalJSON() ([]byte, error) {
	out := map[string]any{"id": d.ID, "name": d.Name, "type": d.Type}
	if d.GuildID != "" {
		out["guild_id"] = d.GuildID
	}
	if len(d.Options) > 0 {
		out["options"] = d.Options
	}
	if !d.Resolved.empty() {
		out["resolved"] = d.Resolved
	}
	return json.Marshal(out)
}

// Option is one option of a command interaction: a value, or a
// subcommand or group holding more options.
type Option struct {
	Name    string
	Type    int
	Value   any
	Options []Option
	Focused bool

	// resolved holds what the option adds to data.resolved.
	resolved Resolved
}

// MarshalJSON writes the option object. Subcommands and groups always
// carry an options array and never a value; other options carry a value,
// false and zero included.
func (o Option) MarshalJSON() ([]byte, error) {
	out := map[string]any{"name": o.Name, "type": o.Type}
	if o.Type == OptionTypeSubcommand || o.Type == OptionTypeSubcommandGroup {
		options := o.Options
		if options == nil {
			options = []Option{}
		}
		out["options"] = options
	} else {
		out["value"] = o.Value
	}
	if o.Focused {
		out["focused"] = true
	}
	return json.Marshal(out)
}

// Resolved is the resolved data of a command: the users, members and
// attachments its options refer to, by ID.
type Resolved struct {
	Users map[string]User
	// Members are sent without their user, as Discord sends them.
	Members     map[string]Member
	Attachments map[string]Attachment
}

func (r Resolved) empty() bool {
	return len(r.Users) == 0 && len(r.Members) == 0 && len(r.Attachments) == 0
}

func (r *Resolved) merge(other Resolved) {
	if len(other.Users) > 0 && r.Users == nil {
		r.Users = map[string]User{}
	}
	if len(other.Members) > 0 && r.Members == nil {
		r.Members = map[string]Member{}
	}
	if len(other.Attachments) > 0 && r.Attachments == nil {
		r.Attachments = map[string]Attachment{}
	}
	maps.Copy(r.Users, other.Users)
	maps.Copy(r.Members, other.Members)
	maps.Copy(r.Attachments, other.Attachments)
}

// MarshalJSON writes the resolved data object.
func (r Resolved) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	if len(r.Users) > 0 {
		out["users"] = r.Users
	}
	if len(r.Members) > 0 {
		members := map[string]any{}
		for id, m := range r.Members {
			members[id] = m.fields()
		}
		out["members"] = members
	}
	if len(r.Attachments) > 0 {
		out["attachments"] = r.Attachments
	}
	return json.Marshal(out)
}
