package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

// Shared by /blacklist, /ratelimit, /budget, /usage and /help: reading
// subcommands and members, checking who may act, and responding with
// ephemeral embeds within Discord's deadline.

// moderatePermission is the permission the moderator commands need by
// default. Server admins can widen Discord's defaults, so every handler
// checks again.
var moderatePermission int64 = discordgo.PermissionModerateMembers

// moderatorCommands maps each moderator command to the permissions it
// needs by default, which /help reads.
var moderatorCommands = map[string]int64{"blacklist": moderatePermission, "ratelimit": moderatePermission, "budget": moderatePermission}

// defaultMemberPermissions returns the default_member_permissions to
// register for a moderator command, so that Discord shows it only to
// members who hold them.
func defaultMemberPermissions(command string) *int64 {
	permissions, ok := moderatorCommands[command]
	if !ok {
		return nil
	}
	return &permissions
}

// denyInDM hides a command in direct messages with the bot.
var denyInDM = false

// Embed colours.
const (
	colourInfo    = 0x5865F2
	colourChanged = 0x57F287
	colourBlocked = 0xED4245
)

// maxListText bounds the text of one listing embed, so that two listings
// in one message stay under Discord's 6,000 characters for all embeds.
const maxListText = 2800

// maxReasonLength bounds a moderator's reason, which the member sees when
// refused and which must fit in one embed field of 1,024 characters.
const maxReasonLength = 500

// moderationSubcommand returns the subcommand the member chose and its
// options, or "" when the interaction has none.
func moderationSubcommand(in *discordgo.Interaction) (string, options) {
	opts := options{}
	if in.Type != discordgo.InteractionApplicationCommand {
		return "", opts
	}
	for _, o := range in.ApplicationCommandData().Options {
		if o.Type != discordgo.ApplicationCommandOptionSubCommand {
			continue
		}
		for _, sub := range o.Options {
			opts[sub.Name] = sub
		}
		return o.Name, opts
	}
	return "", opts
}

// boolean returns a boolean option, or false when it is absent.
func (o options) boolean(name string) bool {
	opt, ok := o[name]
	if !ok || opt.Type != discordgo.ApplicationCommandOptionBoolean {
		return false
	}
	v, _ := opt.Value.(bool)
	return v
}

// user returns the user a user option names, from the interaction's
// resolved data, or nil when the option is absent or not a user ID.
func (o options) user(in *discordgo.Interaction, name string) *discordgo.User {
	opt, ok := o[name]
	if !ok || opt.Type != discordgo.ApplicationCommandOptionUser {
		return nil
	}
	id, _ := opt.Value.(string)
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return nil
	}
	if resolved := in.ApplicationCommandData().Resolved; resolved != nil {
		if u, ok := resolved.Users[id]; ok && u != nil && u.ID == id {
			return u
		}
	}
	return &discordgo.User{ID: id}
}

// requireServer rejects a moderation command in a direct message, where
// there is no server for it to act in.
func requireServer(call *Call, command string) error {
	if call.InDM() {
		return Userf("/%s works only in a server, where it applies to that server. Run it from a channel of the server.", command)
	}
	return nil
}

// requireModerator rejects callers who do not moderate this server.
// Operators may act in every server.
func requireModerator(call *Call, command string) error {
	if call.IsModerator() || call.IsOperator() {
		return nil
	}
	return Userf("Only moderators can use /%s: you need the Moderate Members permission or a Tally moderator role in this server.", command)
}

// requireManager rejects callers who do not manage this server, for
// changes to the server's own defaults.
func requireManager(call *Call, what string) error {
	if call.IsManager() || call.IsOperator() {
		return nil
	}
	return Userf("Only server managers (Manage Server or Administrator) can change %s. Name a member to change only theirs.", what)
}

// requireOperator rejects the global option from anyone but the operators.
func requireOperator(call *Call) error {
	if call.IsOperator() {
		return nil
	}
	return Userf("Only Tally's operators can use `global`, because it applies in every server. Leave it out to act in this server.")
}

// scopeGuild returns the key of the scope a moderation change applies in:
// the interaction's server, or every server for a global one.
func scopeGuild(call *Call, global bool) string {
	if global {
		return models.GlobalGuildID
	}
	return call.Caller.GuildID
}

func scopeName(guildID string) string {
	if guildID == models.GlobalGuildID {
		return "every server and in DMs"
	}
	return "this server"
}

// checkTarget rejects a member option that Tally could never meter.
func checkTarget(target *discordgo.User) error {
	if target.Bot {
		return Userf("%s is a bot. Bots cannot run Tally's commands, so there is nothing to limit.", memberLabel(target.ID, target.Username))
	}
	return nil
}

// upsertCaller stores the caller's row and returns its ID, for the "by"
// columns and the moderation log.
func upsertCaller(ctx context.Context, db bun.IDB, call *Call, now time.Time) (int64, error) {
	user, err := models.UpsertUser(ctx, db, call.Caller.DiscordUserID, call.Caller.Username, now)
	if err != nil {
		return 0, fmt.Errorf("store moderator: %w", err)
	}
	return user.ID, nil
}

// upsertTarget stores the member a change concerns, who may never have
// used Tally, and returns their row ID.
func upsertTarget(ctx context.Context, db bun.IDB, target *discordgo.User, now time.Time) (int64, error) {
	username := target.Username
	if username == "" {
		// Unresolved members keep the username Tally last saw.
		if known, err := models.FindUserByDiscordID(ctx, db, target.ID); err == nil {
			username = known.Username
		}
	}
	user, err := models.UpsertUser(ctx, db, target.ID, username, now)
	if err != nil {
		return 0, fmt.Errorf("store member: %w", err)
	}
	return user.ID, nil
}

// readReason returns the reason option, trimmed and checked.
func readReason(opts options, required bool) (string, error) {
	reason := strings.TrimSpace(opts.text("reason"))
	if reason == "" && required {
		return "", Userf("Give a reason with the `reason` option: the member sees it when Tally refuses them.")
	}
	if n := utf8.RuneCountInString(reason); n > maxReasonLength {
		return "", Userf("The reason is %d characters long; the maximum is %d.", n, maxReasonLength)
	}
	return reason, nil
}

// logChange logs a moderation change that was stored, beside its row in
// moderation_log_table.
func logChange(deps *Deps, call *Call, action, targetDiscordID, scopeGuildID string) {
	deps.Logger.Info("moderation change stored",
		slog.String("command", call.Interaction.ApplicationCommandData().Name),
		slog.String("action", action),
		slog.String("user_id", call.Caller.DiscordUserID),
		slog.String("guild_id", call.Caller.GuildID),
		slog.String("target_user_id", targetDiscordID),
		slog.Bool("global", scopeGuildID == models.GlobalGuildID))
}

// moderationError turns a change the models package rejected into the
// moderator's message, and leaves other errors to the error handler.
func moderationError(err error) error {
	if errors.Is(err, models.ErrInvalidModeration) {
		_, detail, _ := strings.Cut(err.Error(), models.ErrInvalidModeration.Error()+": ")
		if detail == "" {
			detail = err.Error()
		}
		return Userf("Tally did not make this change: %s.", detail)
	}
	return err
}

// respondEphemeral runs work and shows its embeds to the caller only. When
// work takes longer than AdmissionBudget, a stalled database for example,
// the response is deferred ephemerally first and edited afterwards, so the
// first response goes out within AdmissionBudget, well inside Discord's
// 3-second deadline.
func respondEphemeral(ctx context.Context, call *Call, work func(ctx context.Context) ([]*discordgo.MessageEmbed, error)) error {
	type result struct {
		embeds []*discordgo.MessageEmbed
		err    error
	}
	done := make(chan result, 1)
	go func() {
		// The router recovers panics on its own goroutine only.
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("command panicked: %v\n%s", p, debug.Stack())}
			}
		}()
		embeds, err := work(ctx)
		done <- result{embeds, err}
	}()

	timer := time.NewTimer(AdmissionBudget)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return r.err
		}
		return call.replyEmbeds(ctx, r.embeds)
	case <-timer.C:
	}
	if err := call.deferEphemeral(ctx); err != nil {
		return err
	}
	r := <-done
	if r.err != nil {
		return r.err
	}
	return call.Edit(ctx, &discordgo.WebhookEdit{Embeds: &r.embeds})
}

// replyEmbeds responds with embeds only the caller sees, or edits the
// response already sent.
func (c *Call) replyEmbeds(ctx context.Context, embeds []*discordgo.MessageEmbed) error {
	c.mu.Lock()
	if c.responded {
		c.mu.Unlock()
		return c.Edit(ctx, &discordgo.WebhookEdit{Embeds: &embeds})
	}
	defer c.mu.Unlock()
	err := c.responder.Respond(ctx, c.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	c.responded = true
	return nil
}

// deferEphemeral sends a deferred response whose message only the caller
// will see.
func (c *Call) deferEphemeral(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.responded {
		return nil
	}
	err := c.responder.Respond(ctx, c.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		return fmt.Errorf("defer ephemeral response: %w", err)
	}
	c.responded = true
	return nil
}

// memberLabel names a member for moderators: a mention, which Discord
// shows as their current name, and the username Tally stored.
func memberLabel(discordUserID, username string) string {
	if username == "" {
		return fmt.Sprintf("<@%s>", discordUserID)
	}
	return fmt.Sprintf("<@%s> (%s)", discordUserID, escapeMarkdown(username))
}

// joinLines joins lines up to max characters. When some do not fit, it
// ends with a note of how many were left out, for which it keeps room.
func joinLines(lines []string, max int) string {
	var b strings.Builder
	used := 0
	for i, line := range lines {
		reserve := 0
		if i < len(lines)-1 {
			reserve = utf8.RuneCountInString(leftOut(len(lines) - i - 1))
		}
		n := utf8.RuneCountInString(line) + 1
		if used+n+reserve > max {
			b.WriteString(leftOut(len(lines) - i))
			return b.String()
		}
		b.WriteString(line)
		b.WriteString("\n")
		used += n
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func leftOut(n int) string {
	return fmt.Sprintf("…and %d more.", n)
}

// clip shortens text to max characters, marking the cut.
func clip(text string, max int) string {
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	return string([]rune(text)[:max-1]) + "…"
}
