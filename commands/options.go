package commands

import (
	"github.com/bwmarrin/discordgo"
)

// options indexes a command's options by name.
type options map[string]*discordgo.ApplicationCommandInteractionDataOption

func commandOptions(in *discordgo.Interaction) options {
	opts := options{}
	if in.Type != discordgo.InteractionApplicationCommand {
		return opts
	}
	for _, o := range in.ApplicationCommandData().Options {
		opts[o.Name] = o
	}
	return opts
}

// text returns a string option, or "" when it is absent or of another type.
func (o options) text(name string) string {
	opt, ok := o[name]
	if !ok || opt.Type != discordgo.ApplicationCommandOptionString {
		return ""
	}
	s, _ := opt.Value.(string)
	return s
}

// integer returns an integer option, or fallback when it is absent.
// Discord sends integers as JSON numbers, which decode as float64.
func (o options) integer(name string, fallback int) int {
	opt, ok := o[name]
	if !ok || opt.Type != discordgo.ApplicationCommandOptionInteger {
		return fallback
	}
	f, ok := opt.Value.(float64)
	if !ok {
		return fallback
	}
	return int(f)
}
