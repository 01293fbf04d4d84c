package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Thread is a row of thread_table: a Discord thread (or DM channel) tied to
// an OpenAI conversation and the assistant that replies in it.
//
// RunStartedAt is the run claim: a run may go ahead only after it set the
// column from NULL (or from a stale time) to its own claim time, with a
// conditional UPDATE, so that one run at a time uses the conversation even
// across several Tally processes.
type Thread struct {
	bun.BaseModel `bun:"table:thread_table,alias:thread"`

	ID        int64 `bun:"id,pk,autoincrement"`
	CreatorID int64 `bun:"creator_id,notnull"`
	// ConversationID is the OpenAI conversation ("conv_…"), stored in the
	// column thread_id.
	ConversationID string `bun:"thread_id,notnull,unique"`
	// AssistantRowID is the Assistant.ID of the assistant that replies.
	AssistantRowID   int64        `bun:"assistant,notnull"`
	GuildID          string       `bun:"guild_id,notnull"`
	DiscordChannelID string       `bun:"discord_channel_id,notnull,unique"`
	DateCreated      time.Time    `bun:"date_created,notnull"`
	RunStartedAt     bun.NullTime `bun:"run_started_at"`
	// PendingCallIDs is a JSON array of the function calls in the
	// conversation that still need an output, or "" when there are none.
	PendingCallIDs string `bun:"pending_call_ids,notnull"`
}

// PendingCalls returns the call IDs of PendingCallIDs. A value that is not
// a JSON array of strings counts as no pending calls.
func (t Thread) PendingCalls() []string {
	if t.PendingCallIDs == "" {
		return nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(t.PendingCallIDs), &ids); err != nil {
		return nil
	}
	return ids
}

// ErrThreadNotFound is returned when no conversation is tied to a channel.
var ErrThreadNotFound = errors.New("thread not found")

// ErrRunNotClaimed is returned by SetPendingCalls when the run no longer
// holds its claim, because another run took it over as stale.
var ErrRunNotClaimed = errors.New("run claim not held")

// ClaimTime returns t in the form a run claim is stored and compared in:
// UTC, truncated to the microsecond that PostgreSQL keeps, so that the
// value read back equals the value written.
func ClaimTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// FindThreadByChannel returns the conversation tied to the Discord channel,
// or ErrThreadNotFound.
func FindThreadByChannel(ctx context.Context, db bun.IDB, channelID string) (Thread, error) {
	var t Thread
	err := db.NewSelect().Model(&t).Where("discord_channel_id = ?", channelID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Thread{}, fmt.Errorf("find thread in channel %s: %w", channelID, ErrThreadNotFound)
	}
	if err != nil {
		return Thread{}, fmt.Errorf("find thread in channel %s: %w", channelID, err)
	}
	return t, nil
}

// OpenThread ties t.DiscordChannelID to the conversation in t and claims a
// run on it at claim (see ClaimTime). A channel holds one conversation, so
// a conversation already tied to the channel is replaced, unless a run
// claimed it after staleBefore: then OpenThread changes nothing and
// reports false. On success it fills in t.ID and t.RunStartedAt.
func OpenThread(ctx context.Context, db bun.IDB, t *Thread, claim, staleBefore time.Time) (bool, error) {
	t.RunStartedAt = bun.NullTime{Time: claim}
	t.PendingCallIDs = ""
	res, err := db.NewUpdate().Model((*Thread)(nil)).
		Set("thread_id = ?", t.ConversationID).
		Set("creator_id = ?", t.CreatorID).
		Set("assistant = ?", t.AssistantRowID).
		Set("guild_id = ?", t.GuildID).
		Set("date_created = ?", t.DateCreated.UTC()).
		Set("run_started_at = ?", claim).
		Set("pending_call_ids = ''").
		Where("discord_channel_id = ?", t.DiscordChannelID).
		Where("(run_started_at IS NULL OR run_started_at < ?)", staleBefore.UTC()).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("replace conversation in channel %s: %w", t.DiscordChannelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		res, err = db.NewInsert().Model(t).On("CONFLICT (discord_channel_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return false, fmt.Errorf("insert conversation in channel %s: %w", t.DiscordChannelID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// The channel's conversation has a run going.
			return false, nil
		}
	}

	stored, err := FindThreadByChannel(ctx, db, t.DiscordChannelID)
	if err != nil {
		return false, err
	}
	t.ID = stored.ID
	return true, nil
}

// ClaimThreadRun claims a run on the conversation at claim (see ClaimTime)
// and reports whether it got the claim: it fails while another run holds a
// claim made after staleBefore. A claim older than that belongs to a run
// whose process died or overran its deadline, and is taken over.
func ClaimThreadRun(ctx context.Context, db bun.IDB, threadID int64, claim, staleBefore time.Time) (bool, error) {
	res, err := db.NewUpdate().Model((*Thread)(nil)).
		Set("run_started_at = ?", claim).
		Where("id = ?", threadID).
		Where("(run_started_at IS NULL OR run_started_at < ?)", staleBefore.UTC()).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("claim run on thread %d: %w", threadID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseThreadRun clears the run claim made at claim. A claim that another
// run has since taken over is left alone.
func ReleaseThreadRun(ctx context.Context, db bun.IDB, threadID int64, claim time.Time) error {
	_, err := db.NewUpdate().Model((*Thread)(nil)).
		Set("run_started_at = NULL").
		Where("id = ?", threadID).
		Where("run_started_at = ?", claim).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("release run on thread %d: %w", threadID, err)
	}
	return nil
}

// SetPendingCalls stores the function calls the conversation still needs
// outputs for, and an empty list clears them. It returns ErrRunNotClaimed
// unless the run that claimed the conversation at claim still holds it.
func SetPendingCalls(ctx context.Context, db bun.IDB, threadID int64, claim time.Time, callIDs []string) error {
	value := ""
	if len(callIDs) > 0 {
		encoded, err := json.Marshal(callIDs)
		if err != nil {
			return fmt.Errorf("encode pending calls: %w", err)
		}
		value = string(encoded)
	}
	res, err := db.NewUpdate().Model((*Thread)(nil)).
		Set("pending_call_ids = ?", value).
		Where("id = ?", threadID).
		Where("run_started_at = ?", claim).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("set pending calls on thread %d: %w", threadID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set pending calls on thread %d: %w", threadID, ErrRunNotClaimed)
	}
	return nil
}
