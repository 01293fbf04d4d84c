package bot

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// restResponder responds to interactions through Discord's REST API.
type restResponder struct {
	session *discordgo.Session
}

func (r restResponder) Respond(ctx context.Context, in *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	return r.session.InteractionRespond(in, resp, discordgo.WithContext(ctx))
}

func (r restResponder) EditOriginal(ctx context.Context, in *discordgo.Interaction, edit *discordgo.WebhookEdit) error {
	_, err := r.session.InteractionResponseEdit(in, edit, discordgo.WithContext(ctx))
	return err
}

func (r restResponder) DeleteOriginal(ctx context.Context, in *discordgo.Interaction) error {
	return r.session.InteractionResponseDelete(in, discordgo.WithContext(ctx))
}

func (r restResponder) Followup(ctx context.Context, in *discordgo.Interaction, params *discordgo.WebhookParams) error {
	_, err := r.session.FollowupMessageCreate(in, true, params, discordgo.WithContext(ctx))
	return err
}

// StartThread opens a public thread named name in the channel, with no
// starter message, and returns the thread's ID.
func (r restResponder) StartThread(ctx context.Context, channelID, name string) (string, error) {
	thread, err := r.session.ThreadStartComplex(channelID, &discordgo.ThreadStart{
		Name:                name,
		Type:                discordgo.ChannelTypeGuildPublicThread,
		AutoArchiveDuration: 1440,
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return thread.ID, nil
}

// SendMessage posts a message in a channel or thread as the bot.
func (r restResponder) SendMessage(ctx context.Context, channelID string, message *discordgo.MessageSend) error {
	_, err := r.session.ChannelMessageSendComplex(channelID, message, discordgo.WithContext(ctx))
	return err
}
