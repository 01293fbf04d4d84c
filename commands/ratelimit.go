package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

var rateLimitPeriods = []string{string(models.PeriodHour), string(models.PeriodDay), string(models.PeriodWeek)}

// RateLimit returns /ratelimit set | clear | list. Moderators limit one
// member's requests in their server. Server managers set the server's
// default for members without their own limit, and operators limit a
// member in every server.
func RateLimit(deps *Deps) *Command {
	minLimit, maxLimit := float64(1), float64(math.MaxInt32)
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:                     "ratelimit",
			Description:              "Limit how many requests members may make",
			DefaultMemberPermissions: defaultMemberPermissions("ratelimit"),
			DMPermission:             &denyInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Set a member's limit, or the server's default",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionInteger, Name: "limit", Description: "Requests allowed per period", Required: true, MinValue: &minLimit, MaxValue: maxLimit},
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member (default: the server's default, managers only)"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "per", Description: "The period the limit counts (default: day)", Choices: choices(rateLimitPeriods)},
						{Type: discordgo.ApplicationCommandOptionString, Name: "duration", Description: "How long: 30m, 12h, 7d or 2w (default: until cleared)"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "until", Description: "End date instead: 2026-12-31 or RFC 3339 (default: until cleared)"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "reason", Description: "Why; the member sees it when refused", MaxLength: maxReasonLength},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Limit the member in every server and in DMs (operators only)"},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "clear", Description: "Remove a member's limit, or the server's default",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member (default: the server's default, managers only)"},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Remove the member's limit for every server (operators only)"},
					},
				},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List the rate limits in force"},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return rateLimit(ctx, deps, call)
		},
	}
}

func rateLimit(ctx context.Context, deps *Deps, call *Call) error {
	if err := requireServer(call, "ratelimit"); err != nil {
		return err
	}
	if err := requireModerator(call, "ratelimit"); err != nil {
		return err
	}
	sub, opts := moderationSubcommand(call.Interaction)
	switch sub {
	case "set":
		return rateLimitSet(ctx, deps, call, opts)
	case "clear":
		return rateLimitClear(ctx, deps, call, opts)
	case "list":
		return rateLimitList(ctx, deps, call)
	}
	return Userf("Choose a subcommand: `/ratelimit set`, `/ratelimit clear` or `/ratelimit list`.")
}

// rateLimitTarget reads the member and global options and checks that the
// caller may change that scope.
func rateLimitTarget(call *Call, opts options) (*discordgo.User, bool, error) {
	target := opts.user(call.Interaction, "member")
	global := opts.boolean("global")
	switch {
	case global && target == nil:
		return nil, false, Userf("A global rate limit needs a member. The default for everyone is set in Tally's configuration (TALLY_DEFAULT_DAILY_REQUESTS).")
	case global:
		if err := requireOperator(call); err != nil {
			return nil, false, err
		}
	case target == nil:
		if err := requireManager(call, "the server's default rate limit"); err != nil {
			return nil, false, err
		}
	}
	if target != nil {
		if err := checkTarget(target); err != nil {
			return nil, false, err
		}
	}
	return target, global, nil
}

func rateLimitSet(ctx context.Context, deps *Deps, call *Call, opts options) error {
	// Read and check the options.
	target, global, err := rateLimitTarget(call, opts)
	if err != nil {
		return err
	}
	limit := opts.integer("limit", 0)
	if limit < 1 || limit > math.MaxInt32 {
		return Userf("The limit must be a whole number of requests from 1 to %d; %d was given.", math.MaxInt32, limit)
	}
	period := models.PeriodDay
	if per := opts.text("per"); per != "" {
		if !oneOf(per, rateLimitPeriods) {
			return Userf("The period %q is not supported. Choose hour, day or week.", per)
		}
		period = models.Period(per)
	}
	reason, err := readReason(opts, false)
	if err != nil {
		return err
	}
	now := deps.Now()
	end, err := parseEnd(opts.text("duration"), opts.text("until"), now, deps.Zone)
	if err != nil {
		return err
	}
	guildID := scopeGuild(call, global)

	// Store the limit and its log row, then respond to the moderator.
	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		err := deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			params := models.RateLimitParams{GuildID: guildID, Limit: limit, Period: period, Until: end, Reason: reason, By: &actorID}
			if target != nil {
				targetID, err := upsertTarget(ctx, tx, target, now)
				if err != nil {
					return err
				}
				params.UserID = &targetID
			}
			_, err = models.SetRateLimit(ctx, tx, params, now)
			return err
		})
		if err != nil {
			return nil, moderationError(err)
		}
		targetID := ""
		who := "Members without a limit of their own"
		if target != nil {
			targetID = target.ID
			who = memberLabel(target.ID, target.Username)
		}
		logChange(deps, call, models.ActionRateLimitSet, targetID, guildID)

		embed := &discordgo.MessageEmbed{
			Title: "Rate limit set",
			Description: fmt.Sprintf("%s may make %s per %s in %s, %s. Requests already made in the current %s count.",
				who, requestCount(limit), period, scopeName(guildID), describeEnd(end), period),
			Color: colourChanged,
		}
		if reason != "" {
			embed.Fields = []*discordgo.MessageEmbedField{{Name: "Reason, shown to the member", Value: escapeMarkdown(reason)}}
		}
		return []*discordgo.MessageEmbed{embed}, nil
	})
}

func rateLimitClear(ctx context.Context, deps *Deps, call *Call, opts options) error {
	target, global, err := rateLimitTarget(call, opts)
	if err != nil {
		return err
	}
	now := deps.Now()
	guildID := scopeGuild(call, global)
	who, noLimit := "the server's default", Userf("This server has no default rate limit, so nothing changed.")
	if target != nil {
		who = memberLabel(target.ID, target.Username)
		noLimit = Userf("%s has no rate limit of their own in %s, so nothing changed.", who, scopeName(guildID))
	}

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		var userID *int64
		if target != nil {
			known, err := models.FindUserByDiscordID(ctx, deps.DB, target.ID)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, noLimit
			}
			if err != nil {
				return nil, err
			}
			userID = &known.ID
		}
		err := deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			_, err = models.ClearRateLimit(ctx, tx, userID, guildID, &actorID, "", now)
			return err
		})
		if errors.Is(err, models.ErrNoActiveEntry) {
			return nil, noLimit
		}
		if err != nil {
			return nil, moderationError(err)
		}
		targetID := ""
		if target != nil {
			targetID = target.ID
		}
		logChange(deps, call, models.ActionRateLimitClear, targetID, guildID)

		fallback, err := rateLimitFallback(ctx, deps, userID, guildID, now)
		if err != nil {
			return nil, err
		}
		return []*discordgo.MessageEmbed{{
			Title:       "Rate limit cleared",
			Description: fmt.Sprintf("Removed the limit of %s in %s. %s", who, scopeName(guildID), fallback),
			Color:       colourChanged,
		}}, nil
	})
}

// rateLimitFallback describes which limit applies once a member's limit, or
// the server's default, is cleared: the server's default, then the
// configured one.
func rateLimitFallback(ctx context.Context, deps *Deps, userID *int64, guildID string, now time.Time) (string, error) {
	if guildID == models.GlobalGuildID {
		return "The member's limits in each server still apply.", nil
	}
	if userID != nil {
		found, err := models.FindRateLimitsInForce(ctx, deps.DB, *userID, guildID, now)
		if err != nil {
			return "", err
		}
		if l := found.ServerDefault; l != nil {
			return fmt.Sprintf("The server's default of %s per %s applies now.", requestCount(l.Limit), l.Period), nil
		}
	}
	if deps.Defaults.DailyRequests > 0 {
		return fmt.Sprintf("Tally's default of %s per day applies now.", requestCount(deps.Defaults.DailyRequests)), nil
	}
	return "No limit set in this server applies now.", nil
}

func rateLimitList(ctx context.Context, deps *Deps, call *Call) error {
	now := deps.Now()
	scopes := []string{call.Caller.GuildID}
	if call.IsOperator() {
		scopes = append(scopes, models.GlobalGuildID)
	}

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		var embeds []*discordgo.MessageEmbed
		for _, guildID := range scopes {
			active, _, err := models.ListRateLimits(ctx, deps.DB, guildID, now)
			if err != nil {
				return nil, err
			}
			var ids []int64
			for _, l := range active {
				if l.UserID != nil {
					ids = append(ids, *l.UserID)
				}
			}
			users, err := models.FindUsersByID(ctx, deps.DB, ids)
			if err != nil {
				return nil, err
			}
			var lines []string
			if guildID != models.GlobalGuildID {
				lines = append(lines, "Tally's default: "+configuredLimit(deps.Defaults)+".")
			}
			for _, l := range active {
				lines = append(lines, rateLimitLine(l, users))
			}
			if len(lines) == 0 {
				lines = append(lines, "No limits are set.")
			}
			embeds = append(embeds, &discordgo.MessageEmbed{
				Title:       fmt.Sprintf("Rate limits in %s (%d set)", scopeName(guildID), len(active)),
				Description: joinLines(lines, maxListText),
				Color:       colourInfo,
			})
		}
		return embeds, nil
	})
}

// rateLimitLine describes one limit in force: whom it limits, how much,
// until when and why.
func rateLimitLine(l models.RateLimit, users map[int64]models.User) string {
	who := "Server default"
	if l.UserID != nil {
		u := users[*l.UserID]
		who = memberLabel(u.DiscordUserID, u.Username)
	}
	line := fmt.Sprintf("• %s: %s per %s, %s", who, requestCount(l.Limit), l.Period, describeEnd(l.Until.Time))
	if l.Reason != "" {
		line += ": " + clip(escapeMarkdown(l.Reason), 200)
	}
	return line
}

// configuredLimit describes TALLY_DEFAULT_DAILY_REQUESTS.
func configuredLimit(d DefaultLimits) string {
	if d.DailyRequests <= 0 {
		return "no limit"
	}
	return requestCount(d.DailyRequests) + " per day"
}

func requestCount(n int) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}
