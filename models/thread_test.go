package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// openThread opens a conversation in channel and fails the test unless it
// got the run claim.
func openThread(t *testing.T, db bun.IDB, channel, conversation string, assistantID, creatorID int64, claim time.Time) models.Thread {
	t.Helper()
	thread := models.Thread{
		CreatorID: creatorID, ConversationID: conversation, AssistantRowID: assistantID,
		GuildID: "555", DiscordChannelID: channel, DateCreated: claim,
	}
	ok, err := models.OpenThread(context.Background(), db, &thread, claim, claim.Add(-time.Minute))
	if err != nil || !ok {
		t.Fatalf("OpenThread(%s) = %v, %v; want the claim", channel, ok, err)
	}
	return thread
}

func TestThreadRunClaim(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		helper := mustAssistant(t, db, alice.ID, "555", "Helper")
		start := models.ClaimTime(time.Now())
		thread := openThread(t, db, "900", "conv_1", helper.ID, alice.ID, start)

		stored, err := models.FindThreadByChannel(ctx, db, "900")
		if err != nil {
			t.Fatalf("FindThreadByChannel: %v", err)
		}
		if stored.ID != thread.ID || stored.ConversationID != "conv_1" || !stored.RunStartedAt.Time.Equal(start) {
			t.Errorf("stored thread = %+v, want conv_1 claimed at %s", stored, start)
		}

		staleAfter := 10 * time.Minute
		tests := []struct {
			name string
			at   time.Time
			want bool
		}{
			{name: "while the first run holds it", at: start.Add(time.Second), want: false},
			{name: "just before the claim goes stale", at: start.Add(staleAfter), want: false},
			{name: "after the claim went stale", at: start.Add(staleAfter + time.Microsecond), want: true},
		}
		var takeover time.Time
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				claim := models.ClaimTime(tt.at)
				got, err := models.ClaimThreadRun(ctx, db, thread.ID, claim, claim.Add(-staleAfter))
				if err != nil {
					t.Fatalf("ClaimThreadRun: %v", err)
				}
				if got != tt.want {
					t.Errorf("ClaimThreadRun = %v, want %v", got, tt.want)
				}
				if got {
					takeover = claim
				}
			})
		}

		// The first run lost its claim: it may neither record pending calls
		// nor clear the claim of the run that took over.
		if err := models.SetPendingCalls(ctx, db, thread.ID, start, []string{"call_a"}); !errors.Is(err, models.ErrRunNotClaimed) {
			t.Errorf("SetPendingCalls with a lost claim error = %v, want ErrRunNotClaimed", err)
		}
		if err := models.ReleaseThreadRun(ctx, db, thread.ID, start); err != nil {
			t.Fatal(err)
		}
		if ok, _ := models.ClaimThreadRun(ctx, db, thread.ID, takeover.Add(time.Second), takeover.Add(-staleAfter)); ok {
			t.Error("a released stale claim freed the conversation for a third run")
		}

		if err := models.ReleaseThreadRun(ctx, db, thread.ID, takeover); err != nil {
			t.Fatal(err)
		}
		next := takeover.Add(2 * time.Second)
		if ok, err := models.ClaimThreadRun(ctx, db, thread.ID, next, next.Add(-staleAfter)); err != nil || !ok {
			t.Errorf("ClaimThreadRun after release = %v, %v; want the claim", ok, err)
		}
	})
}

func TestThreadPendingCalls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		helper := mustAssistant(t, db, alice.ID, "555", "Helper")
		claim := models.ClaimTime(time.Now())
		thread := openThread(t, db, "900", "conv_1", helper.ID, alice.ID, claim)

		tests := []struct {
			name string
			ids  []string
		}{
			{name: "two calls", ids: []string{"call_a", "call_b"}},
			{name: "cleared", ids: nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := models.SetPendingCalls(ctx, db, thread.ID, claim, tt.ids); err != nil {
					t.Fatalf("SetPendingCalls: %v", err)
				}
				stored, err := models.FindThreadByChannel(ctx, db, "900")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(stored.PendingCalls(), tt.ids); diff != "" {
					t.Errorf("pending calls (-got +want):\n%s", diff)
				}
			})
		}
	})
}

func TestOpenThreadReplacesIdleConversation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		bob := upsertTestUser(t, db, "444", "bob")
		helper := mustAssistant(t, db, alice.ID, "555", "Helper")
		poet := mustAssistant(t, db, bob.ID, "555", "Poet")
		claim := models.ClaimTime(time.Now())
		first := openThread(t, db, "dm-channel", "conv_1", helper.ID, alice.ID, claim)
		if err := models.SetPendingCalls(ctx, db, first.ID, claim, []string{"call_a"}); err != nil {
			t.Fatal(err)
		}

		busy := models.Thread{CreatorID: bob.ID, ConversationID: "conv_2", AssistantRowID: poet.ID, GuildID: "555", DiscordChannelID: "dm-channel", DateCreated: claim}
		later := claim.Add(time.Second)
		ok, err := models.OpenThread(ctx, db, &busy, later, later.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("OpenThread replaced a conversation while its run was going")
		}

		if err := models.ReleaseThreadRun(ctx, db, first.ID, claim); err != nil {
			t.Fatal(err)
		}
		second := openThread(t, db, "dm-channel", "conv_2", poet.ID, bob.ID, later)
		if second.ID != first.ID {
			t.Errorf("replacement has row %d, want the channel's row %d", second.ID, first.ID)
		}
		stored, err := models.FindThreadByChannel(ctx, db, "dm-channel")
		if err != nil {
			t.Fatal(err)
		}
		if stored.ConversationID != "conv_2" || stored.AssistantRowID != poet.ID || stored.CreatorID != bob.ID {
			t.Errorf("stored = %+v, want conv_2 with Poet by bob", stored)
		}
		if len(stored.PendingCalls()) != 0 {
			t.Errorf("pending calls of the old conversation survived: %v", stored.PendingCalls())
		}
	})
}
