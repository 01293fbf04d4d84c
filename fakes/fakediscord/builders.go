package fakediscord

import (
	"strconv"
	"time"
)

// GuildCommand builds the slash command interaction Discord sends when
// user runs command name in channelID of guildID. perms is the member's
// permission bit set in that channel, as a decimal string. The invoker is
// in member.user; there is no top-level user. Options may include
// subcommands and attachment options.
//
// ApplicationID is left empty for RegisterInteraction or SendInteraction
// to fill in.
func GuildCommand(guildID, channelID string, user User, perms string, name string, options ...Option) Interaction {
	in := newCommand(channelID, name, options)
	in.GuildID = guildID
	in.GuildLocale = "en-US"
	in.Context = ContextGuild
	in.AppPermissions = strconv.FormatInt(botGuildPermissions, 10)
	in.AuthorizingIntegrationOwners = map[string]string{"0": guildID}
	in.Channel = Channel{
		ID:          channelID,
		Type:        ChannelTypeGuildText,
		GuildID:     guildID,
		Name:        "general",
		Permissions: perms,
	}
	in.Member = &Member{
		User:        user,
		Roles:       []string{},
		Permissions: perms,
		JoinedAt:    time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second),
	}
	in.Data.Resolved = collectResolved(options, true)
	return in
}

// DMCommand builds the slash command interaction Discord sends when user
// runs command name in a DM with the bot: a top-level user, and no member
// or guild_id.
func DMCommand(channelID string, user User, name string, options ...Option) Interaction {
	in := newCommand(channelID, name, options)
	in.Context = ContextBotDM
	in.AppPermissions = strconv.FormatInt(botDMPermissions, 10)
	// A server-installed app used in a DM with its bot reports "0" as the
	// owner of the installation.
	in.AuthorizingIntegrationOwners = map[string]string{"0": "0"}
	in.Channel = Channel{ID: channelID, Type: ChannelTypeDM, Recipients: []User{user}}
	invoker := user
	in.User = &invoker
	in.Data.Resolved = collectResolved(options, false)
	return in
}

func newCommand(channelID, name string, options []Option) Interaction {
	id := newBuilderSnowflake()
	return Interaction{
		ID:                  id,
		Type:                InteractionTypeApplicationCmd,
		Data:                &CommandData{ID: newBuilderSnowflake(), Name: name, Type: 1, Options: options},
		ChannelID:           channelID,
		Token:               newInteractionToken(id),
		Version:             1,
		Locale:              "en-US",
		AttachmentSizeLimit: DefaultMaxUploadBytes,
	}
}

// collectResolved gathers the resolved data of options and their
// subcommands. Users get a resolved member too in a server.
func collectResolved(options []Option, inGuild bool) Resolved {
	var out Resolved
	for _, o := range options {
		r := o.resolved
		if !inGuild {
			r.Members = nil
		}
		out.merge(r)
		out.merge(collectResolved(o.Options, inGuild))
	}
	return out
}

// StringOption is a string option.
func StringOption(name, value string) Option {
	return Option{Name: name, Type: OptionTypeString, Value: value}
}

// IntegerOption is an integer option.
func IntegerOption(name string, value int64) Option {
	return Option{Name: name, Type: OptionTypeInteger, Value: value}
}

// NumberOption is a number option.
func NumberOption(name string, value float64) Option {
	return Option{Name: name, Type: OptionTypeNumber, Value: value}
}

// BooleanOption is a boolean option.
func BooleanOption(name string, value bool) Option {
	return Option{Name: name, Type: OptionTypeBoolean, Value: value}
}

// UserOption is a user option. Its value is the user's ID; the user is in
// data.resolved.users, and in a server also in data.resolved.members.
func UserOption(name string, user User) Option {
	return Option{
		Name:  name,
		Type:  OptionTypeUser,
		Value: user.ID,
		resolved: Resolved{
			Users:   map[string]User{user.ID: user},
			Members: map[string]Member{user.ID: {User: user, Roles: []string{}, Permissions: "0", JoinedAt: time.Now().Add(-24 * time.Hour).Truncate(time.Second)}},
		},
	}
}

// AttachmentOption is an attachment option (type 11). Its value is the
// attachment's ID and the file itself is in data.resolved.attachments, so
// a handler must look it up there. Use HostAttachment to make an
// attachment the fake serves.
func AttachmentOption(name string, a Attachment) Option {
	a.Ephemeral = true
	return Option{
		Name:     name,
		Type:     OptionTypeAttachment,
		Value:    a.ID,
		resolved: Resolved{Attachments: map[string]Attachment{a.ID: a}},
	}
}

// Subcommand is a subcommand holding its options, such as "create" in
// "/assistant create".
func Subcommand(name string, options ...Option) Option {
	return Option{Name: name, Type: OptionTypeSubcommand, Options: options}
}

// SubcommandGroup is a group holding subcommands.
func SubcommandGroup(name string, subcommands ...Option) Option {
	return Option{Name: name, Type: OptionTypeSubcommandGroup, Options: subcommands}
}
