package bot

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// restResponder answers interactions through Discord's REST API.
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
