package bot

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/commands"
)

// recordingResponder keeps every response a handler sent.
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
	return nil
}

func (r *recordingResponder) Followup(context.Context, *discordgo.Interaction, *discordgo.WebhookParams) error {
	return nil
}

func commandInteraction(id, name string, dm bool) *discordgo.Interaction {
	in := &discordgo.Interaction{
		ID:        id,
		Type:      discordgo.InteractionApplicationCommand,
		ChannelID: "222",
		Data:      discordgo.ApplicationCommandInteractionData{Name: name},
	}
	if dm {
		in.User = &discordgo.User{ID: "333", Username: "alice"}
	} else {
		in.GuildID = "555"
		in.Member = &discordgo.Member{User: &discordgo.User{ID: "333", Username: "alice"}}
	}
	return in
}

func TestRouterRecoversFromPanic(t *testing.T) {
	responder := &recordingResponder{}
	var calls sync.WaitGroup
	calls.Add(1)
	all := []*commands.Command{
		{Definition: &discordgo.ApplicationCommand{Name: "boom"}, Handle: func(context.Context, *commands.Call) error {
			var m map[string]int
			m["x"] = 1 // panics: assignment to a nil map
			return nil
		}},
		{Definition: &discordgo.ApplicationCommand{Name: "ok"}, Handle: func(ctx context.Context, call *commands.Call) error {
			defer calls.Done()
			return call.ReplyEphemeral(ctx, "fine")
		}},
	}
	r := newRouter(context.Background(), all, nil, commands.Access{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))

	r.dispatch(commandInteraction("1", "boom", true), responder)
	r.dispatch(commandInteraction("2", "ok", false), responder)
	calls.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !r.close(ctx) {
		t.Fatal("handlers did not finish")
	}

	responder.mu.Lock()
	defer responder.mu.Unlock()
	if len(responder.responses) != 2 {
		t.Fatalf("%d responses, want one for each interaction", len(responder.responses))
	}
	var texts []string
	for _, resp := range responder.responses {
		texts = append(texts, resp.Data.Content)
	}
	if !contains(texts, commands.InternalMessage) || !contains(texts, "fine") {
		t.Errorf("responses = %q, want the internal error message and the other command's reply", texts)
	}
}

func TestRouterAnswersErrorByEditAfterDefer(t *testing.T) {
	responder := &recordingResponder{}
	all := []*commands.Command{
		{Definition: &discordgo.ApplicationCommand{Name: "slow"}, Handle: func(ctx context.Context, call *commands.Call) error {
			if err := call.Defer(ctx); err != nil {
				return err
			}
			return commands.Userf("that did not work")
		}},
	}
	r := newRouter(context.Background(), all, nil, commands.Access{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.dispatch(commandInteraction("1", "slow", false), responder)
	r.close(context.Background())

	if len(responder.responses) != 1 || responder.responses[0].Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("responses = %+v, want only the deferral", responder.responses)
	}
	if len(responder.edits) != 1 || *responder.edits[0].Content != "that did not work" {
		t.Errorf("edits = %+v, want one edit with the error", responder.edits)
	}
}

func TestRouterRefusesAfterClose(t *testing.T) {
	responder := &recordingResponder{}
	r := newRouter(context.Background(), nil, nil, commands.Access{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.close(context.Background())
	if r.dispatch(commandInteraction("1", "ok", true), responder) {
		t.Error("a closed router took an interaction")
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		responder.mu.Lock()
		n := len(responder.responses)
		responder.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	responder.mu.Lock()
	defer responder.mu.Unlock()
	if len(responder.responses) != 1 || !strings.Contains(responder.responses[0].Data.Content, "restarting") {
		t.Errorf("responses = %+v, want one telling the member Tally is restarting", responder.responses)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestRouterRespondsToUnhandledInteractions(t *testing.T) {
	tests := []struct {
		name     string
		in       *discordgo.Interaction
		wantType discordgo.InteractionResponseType
	}{
		{"component", &discordgo.Interaction{ID: "1", Type: discordgo.InteractionMessageComponent, GuildID: "555"}, discordgo.InteractionResponseChannelMessageWithSource},
		{"autocomplete", &discordgo.Interaction{ID: "2", Type: discordgo.InteractionApplicationCommandAutocomplete, GuildID: "555"}, discordgo.InteractionApplicationCommandAutocompleteResult},
		{"no member or user", &discordgo.Interaction{ID: "3", Type: discordgo.InteractionApplicationCommand, Data: discordgo.ApplicationCommandInteractionData{Name: "imagine"}}, discordgo.InteractionResponseChannelMessageWithSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			responder := &recordingResponder{}
			r := newRouter(context.Background(), nil, nil, commands.Access{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			r.dispatch(tt.in, responder)
			r.close(context.Background())
			if len(responder.responses) != 1 || responder.responses[0].Type != tt.wantType {
				t.Errorf("responses = %+v, want one of type %d", responder.responses, tt.wantType)
			}
		})
	}
}
