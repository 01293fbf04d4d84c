package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/models"
)

// Help returns /help, which lists the commands the caller may use, from
// the definitions Tally registers, and the limits that apply to them.
func Help(deps *Deps) *Command {
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:         "help",
			Description:  "Explain Tally's commands and your current limits",
			DMPermission: &allowInDM,
		},
		Handle: func(ctx context.Context, call *Call) error {
			return help(ctx, deps, call)
		},
	}
}

func help(ctx context.Context, deps *Deps, call *Call) error {
	// Sort the registered commands by who may use them here.
	var memberLines, moderatorLines []string
	for _, c := range All(deps) {
		def := c.Definition
		if call.InDM() && def.DMPermission != nil && !*def.DMPermission {
			continue
		}
		required := moderatorCommands[def.Name]
		if def.DefaultMemberPermissions != nil {
			required = *def.DefaultMemberPermissions
		}
		if required == 0 {
			memberLines = append(memberLines, commandLines(def)...)
		} else if mayUse(call, required) {
			moderatorLines = append(moderatorLines, commandLines(def)...)
		}
	}
	moderator := !call.InDM() && (call.IsModerator() || call.IsOperator())
	if moderator {
		moderatorLines = append(moderatorLines, "`/usage member` and `/usage server`: another member's figures, and the server's summary with its top members")
	}
	now := deps.Now()

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		var userID int64
		known, err := models.FindUserByDiscordID(ctx, deps.DB, call.Caller.DiscordUserID)
		switch {
		case err == nil:
			userID = known.ID
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
		st, err := memberStanding(ctx, deps, userID, call.Caller.GuildID, now)
		if err != nil {
			return nil, err
		}

		embed := &discordgo.MessageEmbed{
			Title:       "Tally help",
			Description: "Tally lets you use OpenAI through slash commands and keeps an exact account of what each request costs. Each result shows its cost and what you have left. Everything below is visible only to you.",
			Color:       colourInfo,
			Fields:      []*discordgo.MessageEmbedField{{Name: "Commands", Value: joinLines(memberLines, maxFieldText)}},
		}
		if len(moderatorLines) > 0 {
			embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Moderator commands", Value: joinLines(moderatorLines, maxFieldText)})
		}
		if notes := roleNotes(call); len(notes) > 0 {
			embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "What your role adds", Value: joinLines(notes, maxFieldText)})
		}
		limitsTitle := "Your limits in this server"
		if call.InDM() {
			limitsTitle = "Your limits in DMs"
		}
		embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: limitsTitle, Value: joinLines(standingLines(st), maxFieldText)})
		return []*discordgo.MessageEmbed{embed}, nil
	})
}

// mayUse reports whether the caller holds what a command's default
// permissions ask for, counting Tally's moderator roles and operators as
// holding Moderate Members.
func mayUse(call *Call, required int64) bool {
	if call.InDM() {
		return false
	}
	if call.IsOperator() || call.Permissions&discordgo.PermissionAdministrator != 0 {
		return true
	}
	if required&^discordgo.PermissionModerateMembers == 0 && call.IsModerator() {
		return true
	}
	return call.Permissions&required == required
}

// commandLines describes a command, one line per subcommand if it has
// any.
func commandLines(def *discordgo.ApplicationCommand) []string {
	var lines []string
	for _, o := range def.Options {
		if o.Type == discordgo.ApplicationCommandOptionSubCommand {
			lines = append(lines, fmt.Sprintf("`/%s %s`: %s", def.Name, o.Name, o.Description))
		}
	}
	if len(lines) == 0 {
		lines = append(lines, fmt.Sprintf("`/%s`: %s", def.Name, def.Description))
	}
	return lines
}

// roleNotes explains what the caller's server role or operator status
// adds to the moderator commands.
func roleNotes(call *Call) []string {
	if call.InDM() {
		return nil
	}
	var notes []string
	if call.IsManager() || call.IsOperator() {
		notes = append(notes, "As a server manager, leave out `member` on `/ratelimit` and `/budget` to set the server's default rate limit and its spending cap.")
	}
	if call.IsOperator() {
		notes = append(notes, "As an operator, add `global` to `/blacklist`, `/ratelimit` and `/budget` to act in every server and in DMs.")
	}
	return notes
}
