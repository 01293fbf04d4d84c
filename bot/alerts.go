package bot

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// AlertPoster returns a budget-alert hook that posts each alert in the
// channel, or nil when channelID is empty. Posting failures are logged.
func AlertPoster(session *discordgo.Session, channelID string, logger *slog.Logger) func(context.Context, metering.BudgetAlert) {
	if channelID == "" {
		return nil
	}
	return func(ctx context.Context, alert metering.BudgetAlert) {
		_, err := session.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
			Content:         AlertText(alert),
			AllowedMentions: &discordgo.MessageAllowedMentions{},
		}, discordgo.WithContext(ctx))
		if err != nil {
			logger.Error("post budget alert", slog.String("channel_id", channelID), slog.Any("error", err))
		}
	}
}

// AlertText describes a budget alert for a Discord channel.
func AlertText(a metering.BudgetAlert) string {
	var whose string
	switch a.Scope {
	case models.ScopeMember:
		whose = fmt.Sprintf("<@%s>'s %sly budget in server %s", a.DiscordUserID, a.Period, a.GuildID)
	case models.ScopeServer:
		whose = fmt.Sprintf("server %s's %sly budget", a.GuildID, a.Period)
	default:
		whose = fmt.Sprintf("the global %sly budget", a.Period)
	}
	return fmt.Sprintf("Budget alert: %s has reached %d%%: %s of %s.", whose, a.Threshold, a.Spent, a.Budget)
}
