package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/models"
)

// Report periods of /usage, as option values.
const (
	periodToday      = "today"
	periodLast7Days  = "7d"
	periodLast30Days = "30d"
	periodThisMonth  = "month"
)

var usagePeriods = []string{periodToday, periodLast7Days, periodLast30Days, periodThisMonth}

// maxTopMembers is how many members the server summary ranks.
const maxTopMembers = 10

// maxFieldText bounds an embed field's value, which Discord caps at 1,024
// characters.
const maxFieldText = 1000

// endpointLabels name the endpoint keys for members.
var endpointLabels = map[string]string{
	models.EndpointImagesGenerate:         "Images (/imagine)",
	models.EndpointImagesVariation:        "Variations (/variation)",
	models.EndpointAssistantCreate:        "Assistant set-up",
	models.EndpointAssistantThreadCreate:  "Assistant threads",
	models.EndpointAssistantRun:           "Assistant replies",
	models.EndpointAssistantSubmitToolRun: "Assistant tool results",
}

// Usage returns /usage [period] [member] [server]: a member's own figures,
// another member's for moderators, or the server's summary for
// moderators and managers.
func Usage(deps *Deps) *Command {
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:         "usage",
			Description:  "Show what was spent on OpenAI through Tally, and your limits",
			DMPermission: &allowInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "period", Description: "The days to count (default: today)", Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "today", Value: periodToday},
					{Name: "the last 7 days", Value: periodLast7Days},
					{Name: "the last 30 days", Value: periodLast30Days},
					{Name: "this month", Value: periodThisMonth},
				}},
				{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "Another member of this server (moderators only)"},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "server", Description: "The whole server's summary (moderators and managers only)"},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return usage(ctx, deps, call)
		},
	}
}

func usage(ctx context.Context, deps *Deps, call *Call) error {
	// Read and check the options.
	opts := commandOptions(call.Interaction)
	period := opts.text("period")
	if period == "" {
		period = periodToday
	}
	if !oneOf(period, usagePeriods) {
		return Userf("The period %q is not supported. Choose today, 7d, 30d or month.", period)
	}
	member := opts.user(call.Interaction, "member")
	if member != nil && member.ID == call.Caller.DiscordUserID {
		member = nil // naming oneself is the default
	}
	server := opts.boolean("server")
	now := deps.Now()
	days := reportDays(period, now, deps.Zone)

	// Check who may see what, then respond.
	switch {
	case server && member != nil:
		return Userf("Choose either `member` or `server`, not both.")
	case server:
		if call.InDM() {
			return Userf("The server summary is shown only in a server. Run `/usage server:True` from a channel of the server.")
		}
		if !call.IsModerator() && !call.IsOperator() {
			return Userf("Only moderators and server managers can see the server summary. Leave out `server` to see your own usage.")
		}
		return serverUsage(ctx, deps, call, days, now)
	case member != nil:
		if call.InDM() {
			return Userf("In a DM you can see only your own usage. Moderators can look up members from a channel of their server.")
		}
		if !call.IsModerator() && !call.IsOperator() {
			return Userf("You can see only your own usage. Moderators of this server can look up other members.")
		}
		return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
			return memberUsageReport(ctx, deps, call, member.ID, member.Username, days, now)
		})
	}
	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		return memberUsageReport(ctx, deps, call, call.Caller.DiscordUserID, "", days, now)
	})
}

// dayRange is the days a report covers, both included, as day buckets in
// Tally's time zone.
type dayRange struct {
	From, To string
	// Start is the instant the first day begins, from which pending
	// requests count.
	Start time.Time
	Label string
}

// reportDays returns the days of a /usage period ending today in zone.
func reportDays(period string, now time.Time, zone *time.Location) dayRange {
	local := now.In(zone)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	start, label := today, "today"
	switch period {
	case periodLast7Days:
		start, label = today.AddDate(0, 0, -6), "the last 7 days"
	case periodLast30Days:
		start, label = today.AddDate(0, 0, -29), "the last 30 days"
	case periodThisMonth:
		start, label = today.AddDate(0, 0, 1-today.Day()), "this month"
	}
	return dayRange{From: start.Format(time.DateOnly), To: today.Format(time.DateOnly), Start: start, Label: label}
}

func (d dayRange) describe(zone *time.Location) string {
	if d.From == d.To {
		return fmt.Sprintf("%s (%s, %s)", d.Label, d.To, zone)
	}
	return fmt.Sprintf("%s (%s to %s, %s)", d.Label, d.From, d.To, zone)
}

// memberUsageReport reports one member's figures and limits. In a server
// the figures cover that server only. In a DM, where only the caller's own
// figures are shown, they cover every server and DMs.
func memberUsageReport(ctx context.Context, deps *Deps, call *Call, discordUserID, username string, days dayRange, now time.Time) ([]*discordgo.MessageEmbed, error) {
	var userID int64
	known, err := models.FindUserByDiscordID(ctx, deps.DB, discordUserID)
	switch {
	case err == nil:
		userID = known.ID
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}

	self := discordUserID == call.Caller.DiscordUserID
	scope := models.UsageScope{UserID: &userID, GuildID: call.Caller.GuildID}
	where := "in this server"
	limitsTitle := "Limits in this server now"
	if call.InDM() {
		scope.GuildID = models.GlobalGuildID
		where = "in every server and in DMs"
		limitsTitle = "Limits in DMs now"
	}
	var totals []models.EndpointTotal
	var pending models.PendingTotal
	if userID != 0 {
		if totals, err = models.UsageByEndpoint(ctx, deps.DB, scope, days.From, days.To); err != nil {
			return nil, err
		}
		if pending, err = models.PendingUsage(ctx, deps.DB, scope, days.Start); err != nil {
			return nil, err
		}
	}
	st, err := memberStanding(ctx, deps, userID, call.Caller.GuildID, now)
	if err != nil {
		return nil, err
	}

	title := "Your usage, " + days.Label
	if !self {
		title = fmt.Sprintf("Usage of %s, %s", clip(escapeMarkdown(firstNonEmpty(username, known.Username, discordUserID)), 100), days.Label)
	}
	description := fmt.Sprintf("What you spent %s, %s.", where, days.describe(deps.Zone))
	if !self {
		description = fmt.Sprintf("What %s spent %s, %s.", memberLabel(discordUserID, firstNonEmpty(username, known.Username)), where, days.describe(deps.Zone))
	}
	embed := &discordgo.MessageEmbed{Title: title, Description: description, Color: colourInfo}
	embed.Fields = usageFields(totals, pending)
	embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: limitsTitle, Value: joinLines(standingLines(st), maxFieldText)})
	return []*discordgo.MessageEmbed{embed}, nil
}

// serverUsage shows the server summary with its chart and the period's
// ledger as CSV attached. Files cannot travel in an interaction's first
// response over the HTTP endpoint, so the response is deferred and edited.
func serverUsage(ctx context.Context, deps *Deps, call *Call, days dayRange, now time.Time) error {
	if err := call.deferEphemeral(ctx); err != nil {
		return err
	}
	embeds, err := serverUsageReport(ctx, deps, call.Caller.GuildID, days, now)
	if err != nil {
		return err
	}
	files, note, err := serverUsageFiles(ctx, deps, call.Caller.GuildID, days)
	if err != nil {
		return err
	}
	if note != "" {
		embeds[0].Fields = append(embeds[0].Fields, &discordgo.MessageEmbedField{Name: "Ledger export", Value: note})
	}
	embeds[0].Image = &discordgo.MessageEmbedImage{URL: "attachment://usage-chart.png"}
	return call.Edit(ctx, &discordgo.WebhookEdit{Embeds: &embeds, Files: files})
}

// serverUsageReport reports a server's totals, its endpoints, its top
// members by cost and its spending caps.
func serverUsageReport(ctx context.Context, deps *Deps, guildID string, days dayRange, now time.Time) ([]*discordgo.MessageEmbed, error) {
	scope := models.UsageScope{GuildID: guildID}
	totals, err := models.UsageByEndpoint(ctx, deps.DB, scope, days.From, days.To)
	if err != nil {
		return nil, err
	}
	pending, err := models.PendingUsage(ctx, deps.DB, scope, days.Start)
	if err != nil {
		return nil, err
	}
	top, err := models.TopMembers(ctx, deps.DB, guildID, days.From, days.To, maxTopMembers)
	if err != nil {
		return nil, err
	}
	caps, err := memberCaps(ctx, deps, 0, guildID, now)
	if err != nil {
		return nil, err
	}

	embed := &discordgo.MessageEmbed{
		Title:       "Server usage, " + days.Label,
		Description: fmt.Sprintf("What this server's members spent, %s.", days.describe(deps.Zone)),
		Color:       colourInfo,
		Fields:      usageFields(totals, pending),
	}
	lines := make([]string, len(top))
	for i, m := range top {
		lines[i] = fmt.Sprintf("%d. %s: %s", i+1, memberLabel(m.DiscordUserID, m.Username), requestsAndCost(m.Requests, m.Cost))
	}
	if len(lines) == 0 {
		lines = append(lines, "Nobody used Tally here in this period.")
	}
	embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Top members by cost", Value: joinLines(lines, maxFieldText)})

	var shared []capStatus
	for _, c := range caps {
		if c.Scope == models.ScopeServer {
			shared = append(shared, c)
		}
	}
	var capText []string
	for _, c := range shared {
		capText = append(capText, fmt.Sprintf("%s of %s spent %s. It restarts %s.", c.Spent, c.Amount, periodPhrase(c.Period), discordRelative(c.ResetsAt)))
	}
	if len(capText) == 0 {
		capText = append(capText, "No cap is set for this server.")
	}
	embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Server's spending cap", Value: joinLines(capText, maxFieldText)})
	return []*discordgo.MessageEmbed{embed}, nil
}

// usageFields lists the total, each endpoint, and the requests still in
// progress, which the totals leave out until they are settled.
func usageFields(totals []models.EndpointTotal, pending models.PendingTotal) []*discordgo.MessageEmbedField {
	var requests int64
	var cost models.MicroUSD
	for _, t := range totals {
		requests += t.Requests
		cost += t.Cost
	}
	fields := []*discordgo.MessageEmbedField{{Name: "Total", Value: requestsAndCost(requests, cost)}}
	for _, t := range totals {
		label, ok := endpointLabels[t.Endpoint]
		if !ok {
			label = t.Endpoint
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: label, Value: requestsAndCost(t.Requests, t.Cost), Inline: true})
	}
	if pending.Requests > 0 {
		fields = append(fields, &discordgo.MessageEmbedField{
			Name:  "In progress",
			Value: fmt.Sprintf("%s, estimated at %s, not yet in the totals", requestCount(int(pending.Requests)), pending.Estimate),
		})
	}
	return fields
}

func requestsAndCost(requests int64, cost models.MicroUSD) string {
	return fmt.Sprintf("%s · %s", requestCount(int(requests)), cost)
}
