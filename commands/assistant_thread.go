package commands

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/models"
)

// ChannelPoster opens threads and posts messages in channels. The bot's
// responders implement it beside Responder. With a responder that does
// not, /assistant chat keeps the conversation in the channel it was used in.
type ChannelPoster interface {
	// StartThread opens a public thread named name in the channel and
	// returns its ID, or the REST error.
	StartThread(ctx context.Context, channelID, name string) (string, error)
	// SendMessage posts a message in a channel or thread and returns the
	// REST error.
	SendMessage(ctx context.Context, channelID string, message *discordgo.MessageSend) error
}

// Timing of the run claim, which lets one run at a time use a conversation.
const (
	// runStaleAfter is the age at which a claim counts as abandoned: longer
	// than any run may take, so only a claim whose process died goes stale.
	runStaleAfter = runDeadline + time.Minute
	// runWait is how long a message waits for an earlier run in the same
	// conversation to end before the message is rejected.
	runWait = 5 * time.Second
	// runPollInterval is how often a waiting message retries the claim.
	runPollInterval = 200 * time.Millisecond
)

// maxThreadNameLength is Discord's limit on a thread's name.
const maxThreadNameLength = 100

// conversationChannel returns the channel a new conversation lives in: a
// new public thread of the server channel where the bot may open one, or
// else the channel of the interaction (a DM, a thread, or a channel type
// without threads). The poster is returned only for a new thread.
func conversationChannel(ctx context.Context, deps *Deps, call *Call, assistant models.Assistant, message string) (string, ChannelPoster) {
	channelID := call.Interaction.ChannelID
	if call.InDM() {
		return channelID, nil
	}
	poster, ok := call.responder.(ChannelPoster)
	if !ok {
		return channelID, nil
	}
	// Zero means the payload carried no app_permissions, so the bot just tries.
	need := int64(discordgo.PermissionCreatePublicThreads | discordgo.PermissionSendMessagesInThreads)
	if perms := call.Interaction.AppPermissions; perms != 0 && perms&need != need {
		deps.Logger.Info("no permission to open a thread; the conversation stays in the channel",
			slog.String("command", "assistant"), slog.String("guild_id", call.Caller.GuildID), slog.String("channel_id", channelID))
		return channelID, nil
	}

	threadID, err := poster.StartThread(ctx, channelID, threadName(assistant.Name, message))
	if err != nil {
		// Discord rejects a thread inside a thread or in a channel type
		// without threads, among other cases. The channel itself still works.
		deps.Logger.Warn("open thread failed; the conversation stays in the channel",
			slog.String("command", "assistant"), slog.String("user_id", call.Caller.DiscordUserID),
			slog.String("guild_id", call.Caller.GuildID), slog.String("channel_id", channelID), slog.Any("error", err))
		return channelID, nil
	}
	return threadID, poster
}

// threadName names a conversation's thread after the assistant and the
// member's first message, within Discord's limit.
func threadName(assistant, message string) string {
	name := assistant + ": " + strings.Join(strings.Fields(message), " ")
	if utf8.RuneCountInString(name) > maxThreadNameLength {
		name = string([]rune(name)[:maxThreadNameLength-1]) + "…"
	}
	return name
}

// claimFunc tries to claim a run at the claim time, treating claims made
// before staleBefore as abandoned, and reports whether it got the claim.
type claimFunc func(ctx context.Context, claim, staleBefore time.Time) (bool, error)

// waitForRun retries claim until it succeeds, for at most runWait, and
// returns the claim time that succeeded. It reports false when another run
// kept the conversation busy for the whole wait.
func waitForRun(ctx context.Context, deps *Deps, claim claimFunc) (time.Time, bool, error) {
	deadline := time.Now().Add(runWait)
	for {
		at := models.ClaimTime(deps.Now())
		ok, err := claim(ctx, at, at.Add(-runStaleAfter))
		if err != nil || ok {
			return at, ok, err
		}
		if time.Now().After(deadline) {
			return time.Time{}, false, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, false, ctx.Err()
		case <-time.After(runPollInterval):
		}
	}
}

// claimReleaser returns a function that clears the run claim once, however
// often it is called: as soon as the run ends, so that the next message
// need not wait for the answer's delivery, and deferred in case of a panic.
// It clears the claim even when the interaction's context has ended. When
// that fails, the claim goes stale after runStaleAfter.
func claimReleaser(ctx context.Context, deps *Deps, call *Call, threadID int64, claim time.Time) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := models.ReleaseThreadRun(ctx, deps.DB, threadID, claim); err != nil {
				deps.Logger.Error("release assistant run", slog.String("command", "assistant"),
					slog.String("user_id", call.Caller.DiscordUserID), slog.String("guild_id", call.Caller.GuildID),
					slog.Int64("thread_id", threadID), slog.Any("error", err))
			}
		})
	}
}
