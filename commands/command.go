// Package commands holds Tally's slash commands: each file defines one
// command and its handler, which reads the options, checks them, meters the
// OpenAI request, calls OpenAI and responds.
package commands

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/openaiclient"
)

// Command is one slash command: what Discord registers and what runs when a
// member uses it.
type Command struct {
	Definition *discordgo.ApplicationCommand
	// Handle runs the command. Errors it returns are shown to the member by
	// the bot's error handler: a *UserError as written, anything else as a
	// generic message, logged in full.
	Handle func(ctx context.Context, call *Call) error
}

// ImageGenerator creates images; *openaiclient.Client implements it.
type ImageGenerator interface {
	GenerateImages(ctx context.Context, req openaiclient.ImageRequest) (openaiclient.ImageResult, error)
}

// Deps are the services the commands use from the rest of the program.
type Deps struct {
	// DB is the database the models package queries, for commands that read
	// or change records directly (usage, moderation, assistants).
	DB     *bun.DB
	Meter  *metering.Meter
	OpenAI *openaiclient.Client
	Images ImageGenerator
	// SafetyID hashes a Discord user ID for OpenAI's safety_identifier.
	SafetyID       func(discordUserID string) string
	ImageModel     string
	AssistantModel string
	MaxToolRounds  int
	// AttachmentHosts are the hosts attachments may be downloaded from,
	// with HTTPClient.
	AttachmentHosts []string
	HTTPClient      *http.Client
	// Zone is the time zone in which days, weeks and months begin.
	Zone *time.Location
	// Now returns the current time; tests inject a clock.
	Now func() time.Time
	// Defaults are the configured limits for everyone, which /usage,
	// /help and the moderator commands show beside the entries they set.
	Defaults DefaultLimits
	// OpenAISlots bounds the OpenAI requests in flight; a member whose
	// request waits for a slot has already seen the deferred response.
	OpenAISlots chan struct{}
	// OpenAITimeout bounds one OpenAI request, retries included, well inside
	// the 15 minutes an interaction token lives.
	OpenAITimeout time.Duration
	Logger        *slog.Logger
}

// All returns every command, in the order /help lists them.
func All(deps *Deps) []*Command {
	return []*Command{
		Imagine(deps),
		Variation(deps),
		Assistant(deps),
		Usage(deps),
		Help(deps),
		Blacklist(deps),
		RateLimit(deps),
		Budget(deps),
	}
}
