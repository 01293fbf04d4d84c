package commands

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// recordingResponder records what a handler sends to Discord.
type recordingResponder struct {
	mu        sync.Mutex
	responses []*discordgo.InteractionResponse
	edits     []*discordgo.WebhookEdit
}

func (r *recordingResponder) Respond(_ context.Context, _ *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.responses = append(r.responses, resp)
	return nil
}

func (r *recordingResponder) EditOriginal(_ context.Context, _ *discordgo.Interaction, edit *discordgo.WebhookEdit) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.edits = append(r.edits, edit)
	return nil
}

func (r *recordingResponder) DeleteOriginal(context.Context, *discordgo.Interaction) error {
	return errors.New("unexpected delete")
}

func (r *recordingResponder) Followup(context.Context, *discordgo.Interaction, *discordgo.WebhookParams) error {
	return errors.New("unexpected follow-up")
}

func newTestCall(t *testing.T, responder Responder) *Call {
	t.Helper()
	in := &discordgo.Interaction{
		ID: "9", Type: discordgo.InteractionApplicationCommand, GuildID: "555",
		Member: &discordgo.Member{User: &discordgo.User{ID: "333", Username: "alice"}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: "blacklist"},
	}
	call, err := NewCall(in, responder, nil, Access{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return call
}

func TestRespondEphemeral(t *testing.T) {
	embed := &discordgo.MessageEmbed{Title: "done"}
	tests := []struct {
		name      string
		delay     time.Duration
		fail      error
		panics    bool
		wantTypes []discordgo.InteractionResponseType
		wantEdits int
		wantErr   string
	}{
		{name: "fast work replies at once", wantTypes: []discordgo.InteractionResponseType{discordgo.InteractionResponseChannelMessageWithSource}},
		{name: "slow work defers then edits", delay: AdmissionBudget + 200*time.Millisecond,
			wantTypes: []discordgo.InteractionResponseType{discordgo.InteractionResponseDeferredChannelMessageWithSource}, wantEdits: 1},
		{name: "an error is returned unanswered", fail: Userf("bad input"), wantErr: "bad input"},
		{name: "a panic becomes an error", panics: true, wantErr: "command panicked: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			responder := &recordingResponder{}
			call := newTestCall(t, responder)

			err := respondEphemeral(context.Background(), call, func(context.Context) ([]*discordgo.MessageEmbed, error) {
				time.Sleep(tt.delay)
				if tt.panics {
					panic("boom")
				}
				return []*discordgo.MessageEmbed{embed}, tt.fail
			})

			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("respondEphemeral: %v", err)
			}
			var gotTypes []discordgo.InteractionResponseType
			for _, r := range responder.responses {
				gotTypes = append(gotTypes, r.Type)
				if r.Data == nil || r.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
					t.Errorf("response type %d is not ephemeral", r.Type)
				}
			}
			if len(gotTypes) != len(tt.wantTypes) {
				t.Fatalf("response types = %v, want %v", gotTypes, tt.wantTypes)
			}
			for i := range gotTypes {
				if gotTypes[i] != tt.wantTypes[i] {
					t.Errorf("response %d type = %d, want %d", i, gotTypes[i], tt.wantTypes[i])
				}
			}
			if len(responder.edits) != tt.wantEdits {
				t.Fatalf("%d edits, want %d", len(responder.edits), tt.wantEdits)
			}
			if tt.wantEdits > 0 && (responder.edits[0].Embeds == nil || len(*responder.edits[0].Embeds) != 1) {
				t.Errorf("edit carries no embed")
			}
			if !tt.panics && tt.fail == nil && !call.Responded() {
				t.Errorf("call not marked as responded")
			}
		})
	}
}

func TestJoinLines(t *testing.T) {
	lines := []string{"aaaa", "bbbb", "cccc", "dddd"}
	tests := []struct {
		name string
		max  int
		want string
	}{
		{"all fit", 100, "aaaa\nbbbb\ncccc\ndddd"},
		{"some left out", 25, "aaaa\nbbbb\n…and 2 more."},
		{"last line needs no room for the note", 27, "aaaa\nbbbb\ncccc\ndddd"},
		{"none fit", 5, "…and 4 more."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinLines(lines, tt.max); got != tt.want {
				t.Errorf("joinLines(max %d) = %q, want %q", tt.max, got, tt.want)
			}
		})
	}
}
