package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// Blacklist returns /blacklist add | remove | list, with which moderators
// block members of their server from using Tally, and operators block
// members everywhere.
func Blacklist(deps *Deps) *Command {
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:                     "blacklist",
			Description:              "Block members from using Tally in this server",
			DefaultMemberPermissions: defaultMemberPermissions("blacklist"),
			DMPermission:             &denyInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "add", Description: "Block a member from using Tally",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member to block", Required: true},
						{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why; the member sees it when Tally refuses them", Required: true, MaxLength: maxReasonLength},
						{Type: discordgo.ApplicationCommandOptionString, Name: "duration", Description: "How long: 30m, 12h, 7d or 2w (default: until removed)"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "until", Description: "End date instead: 2026-12-31 or RFC 3339 (default: until removed)"},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Block in every server and in DMs (operators only)"},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "remove", Description: "Lift a member's block",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member to unblock", Required: true},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Lift the block in every server and in DMs (operators only)"},
					},
				},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List the blocks in force"},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return blacklist(ctx, deps, call)
		},
	}
}

func blacklist(ctx context.Context, deps *Deps, call *Call) error {
	if err := requireServer(call, "blacklist"); err != nil {
		return err
	}
	if err := requireModerator(call, "blacklist"); err != nil {
		return err
	}
	sub, opts := moderationSubcommand(call.Interaction)
	switch sub {
	case "add":
		return blacklistAdd(ctx, deps, call, opts)
	case "remove":
		return blacklistRemove(ctx, deps, call, opts)
	case "list":
		return blacklistList(ctx, deps, call)
	}
	return Userf("Choose a subcommand: `/blacklist add`, `/blacklist remove` or `/blacklist list`.")
}

func blacklistAdd(ctx context.Context, deps *Deps, call *Call, opts options) error {
	// Read and check the options.
	target := opts.user(call.Interaction, "member")
	if target == nil {
		return Userf("Name the member to block with the `member` option.")
	}
	if err := checkTarget(target); err != nil {
		return err
	}
	reason, err := readReason(opts, true)
	if err != nil {
		return err
	}
	global := opts.boolean("global")
	if global {
		if err := requireOperator(call); err != nil {
			return err
		}
	}
	now := deps.Now()
	end, err := parseEnd(opts.text("duration"), opts.text("until"), now, deps.Zone)
	if err != nil {
		return err
	}
	guildID := scopeGuild(call, global)

	// Store the entry and its log row, then respond to the moderator.
	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		err := deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			targetID, err := upsertTarget(ctx, tx, target, now)
			if err != nil {
				return err
			}
			_, err = models.AddBlacklistEntry(ctx, tx, models.BlacklistParams{
				UserID: targetID, GuildID: guildID, Reason: reason, By: &actorID, Until: end,
			}, now)
			return err
		})
		if err != nil {
			return nil, moderationError(err)
		}
		logChange(deps, call, models.ActionBlacklistAdd, target.ID, guildID)
		return []*discordgo.MessageEmbed{{
			Title:       "Member blocked",
			Description: fmt.Sprintf("%s can no longer use Tally in %s, %s.", memberLabel(target.ID, target.Username), scopeName(guildID), describeEnd(end)),
			Color:       colourBlocked,
			Fields:      []*discordgo.MessageEmbedField{{Name: "Reason, shown to the member", Value: escapeMarkdown(reason)}},
		}}, nil
	})
}

func blacklistRemove(ctx context.Context, deps *Deps, call *Call, opts options) error {
	target := opts.user(call.Interaction, "member")
	if target == nil {
		return Userf("Name the member to unblock with the `member` option.")
	}
	global := opts.boolean("global")
	if global {
		if err := requireOperator(call); err != nil {
			return err
		}
	}
	now := deps.Now()
	guildID := scopeGuild(call, global)
	notBlocked := Userf("%s is not blocked in %s, so nothing changed.", memberLabel(target.ID, target.Username), scopeName(guildID))

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		known, err := models.FindUserByDiscordID(ctx, deps.DB, target.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notBlocked
		}
		if err != nil {
			return nil, err
		}
		err = deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			_, err = models.LiftBlacklist(ctx, tx, known.ID, guildID, &actorID, "", now)
			return err
		})
		if errors.Is(err, models.ErrNoActiveEntry) {
			return nil, notBlocked
		}
		if err != nil {
			return nil, moderationError(err)
		}
		logChange(deps, call, models.ActionBlacklistLift, target.ID, guildID)

		embed := &discordgo.MessageEmbed{
			Title:       "Block lifted",
			Description: fmt.Sprintf("%s may use Tally in %s again.", memberLabel(target.ID, known.Username), scopeName(guildID)),
			Color:       colourChanged,
		}
		// An operator's block outlives a server's, and the moderator
		// should know why the member is still refused.
		if !global {
			if _, err := models.FindActiveBlacklist(ctx, deps.DB, known.ID, guildID, now); err == nil {
				embed.Description = fmt.Sprintf("%s is unblocked in this server, but an operator's block for every server is still in force.", memberLabel(target.ID, known.Username))
			}
		}
		return []*discordgo.MessageEmbed{embed}, nil
	})
}

func blacklistList(ctx context.Context, deps *Deps, call *Call) error {
	now := deps.Now()
	scopes := []string{call.Caller.GuildID}
	if call.IsOperator() {
		scopes = append(scopes, models.GlobalGuildID)
	}

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		var embeds []*discordgo.MessageEmbed
		for _, guildID := range scopes {
			active, _, err := models.ListBlacklist(ctx, deps.DB, guildID, now)
			if err != nil {
				return nil, err
			}
			var ids []int64
			for _, e := range active {
				ids = append(ids, e.UserID)
				if e.By != nil {
					ids = append(ids, *e.By)
				}
			}
			users, err := models.FindUsersByID(ctx, deps.DB, ids)
			if err != nil {
				return nil, err
			}
			lines := make([]string, len(active))
			for i, e := range active {
				lines[i] = blacklistLine(e, users)
			}
			description := joinLines(lines, maxListText)
			if len(active) == 0 {
				description = "Nobody is blocked."
			}
			embeds = append(embeds, &discordgo.MessageEmbed{
				Title:       fmt.Sprintf("Blocked in %s (%d)", scopeName(guildID), len(active)),
				Description: description,
				Color:       colourInfo,
			})
		}
		return embeds, nil
	})
}

// blacklistLine describes one entry: the member, its end, who set it and
// why.
func blacklistLine(e models.BlacklistEntry, users map[int64]models.User) string {
	member := users[e.UserID]
	line := fmt.Sprintf("• %s, %s", memberLabel(member.DiscordUserID, member.Username), describeEnd(e.Until.Time))
	if e.By != nil {
		line += fmt.Sprintf(", by <@%s>", users[*e.By].DiscordUserID)
	}
	return line + ": " + clip(escapeMarkdown(e.Reason), 200)
}
