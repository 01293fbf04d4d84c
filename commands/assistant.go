package commands

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/models"
)

// Limits of /assistant options. Discord caps a string option at 6,000
// characters.
const (
	maxAssistantNameLength = 50
	maxInstructionsLength  = 6000
	maxMessageLength       = 6000
	maxModelNameLength     = 64
)

// Assistant returns /assistant with its subcommands: create, list and
// delete manage a server's assistants, chat starts a conversation with one
// and reply continues it.
func Assistant(deps *Deps) *Command {
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:         "assistant",
			Description:  "Talk to assistants that answer with OpenAI",
			DMPermission: &allowInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Create an assistant for this server",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name to call it by, unique in this server", Required: true, MaxLength: maxAssistantNameLength},
						{Type: discordgo.ApplicationCommandOptionString, Name: "instructions", Description: "How it should behave, sent to the model with every message", Required: true, MaxLength: maxInstructionsLength},
						{Type: discordgo.ApplicationCommandOptionString, Name: "model", Description: "OpenAI model (default: the bot's assistant model)", MaxLength: maxModelNameLength},
					},
				},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List this server's assistants"},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "delete", Description: "Delete an assistant (its creator or a moderator)",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name of the assistant", Required: true, MaxLength: maxAssistantNameLength},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "chat", Description: "Start a conversation with an assistant in a new thread",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "assistant", Description: "Name of the assistant", Required: true, MaxLength: maxAssistantNameLength},
						{Type: discordgo.ApplicationCommandOptionString, Name: "message", Description: "Your first message", Required: true, MaxLength: maxMessageLength},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "reply", Description: "Continue the assistant conversation of this thread or DM",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "message", Description: "Your message", Required: true, MaxLength: maxMessageLength},
					},
				},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return routeAssistant(ctx, deps, call)
		},
	}
}

func routeAssistant(ctx context.Context, deps *Deps, call *Call) error {
	name, opts := subcommandOptions(call.Interaction)
	switch name {
	case "create":
		return createAssistant(ctx, deps, call, opts)
	case "list":
		return listAssistants(ctx, deps, call)
	case "delete":
		return deleteAssistant(ctx, deps, call, opts)
	case "chat":
		return startChat(ctx, deps, call, opts)
	case "reply":
		return replyInChat(ctx, deps, call, opts)
	}
	return Userf("/assistant has no subcommand %q. Use create, list, delete, chat or reply.", name)
}

// subcommandOptions returns the subcommand an interaction invoked and its
// options, or "" when the first option is not a subcommand.
func subcommandOptions(in *discordgo.Interaction) (string, options) {
	opts := options{}
	if in.Type != discordgo.InteractionApplicationCommand {
		return "", opts
	}
	data := in.ApplicationCommandData()
	if len(data.Options) == 0 || data.Options[0].Type != discordgo.ApplicationCommandOptionSubCommand {
		return "", opts
	}
	sub := data.Options[0]
	for _, o := range sub.Options {
		opts[o.Name] = o
	}
	return sub.Name, opts
}

// assistantScope returns the scope of the caller's assistants: the server,
// or the caller's own DM scope, so that members never see each other's DM
// assistants.
func assistantScope(call *Call) string {
	if call.InDM() {
		return models.DMAssistantScope(call.Caller.DiscordUserID)
	}
	return call.Caller.GuildID
}
