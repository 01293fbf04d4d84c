package fakediscord

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

func deferResponse(t *testing.T, session *discordgo.Session, interaction *discordgo.Interaction, flags discordgo.MessageFlags) {
	t.Helper()
	response := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if flags != 0 {
		response.Data = &discordgo.InteractionResponseData{Flags: flags}
	}
	if err := session.InteractionRespond(interaction, response); err != nil {
		t.Fatalf("deferred response: %v", err)
	}
}

func TestWebhookTokenRules(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs before the follow-up and returns the interaction
		// to use.
		prepare    func(t *testing.T, srv *Server, session *discordgo.Session, clock *testClock) *discordgo.Interaction
		wantStatus int
		wantCode   int
	}{
		{
			name: "before any response",
			prepare: func(t *testing.T, srv *Server, _ *discordgo.Session, _ *testClock) *discordgo.Interaction {
				return registerCommand(t, srv)
			},
			wantStatus: http.StatusNotFound,
			wantCode:   CodeUnknownWebhook,
		},
		{
			name: "after 15 minutes",
			prepare: func(t *testing.T, srv *Server, session *discordgo.Session, clock *testClock) *discordgo.Interaction {
				interaction := registerCommand(t, srv)
				deferResponse(t, session, interaction, 0)
				clock.Advance(TokenLifetime + time.Second)
				return interaction
			},
			wantStatus: http.StatusUnauthorized,
			wantCode:   CodeInvalidWebhookToken,
		},
		{
			name: "unknown token",
			prepare: func(t *testing.T, srv *Server, _ *discordgo.Session, _ *testClock) *discordgo.Interaction {
				return &discordgo.Interaction{ID: "1", AppID: testAppID, Token: "not-a-token"}
			},
			wantStatus: http.StatusUnauthorized,
			wantCode:   CodeInvalidWebhookToken,
		},
		{
			name: "interaction ID in place of the application ID",
			prepare: func(t *testing.T, srv *Server, session *discordgo.Session, _ *testClock) *discordgo.Interaction {
				interaction := registerCommand(t, srv)
				deferResponse(t, session, interaction, 0)
				wrong := *interaction
				wrong.AppID = interaction.ID
				return &wrong
			},
			wantStatus: http.StatusNotFound,
			wantCode:   CodeUnknownWebhook,
		},
		{
			name: "within 15 minutes",
			prepare: func(t *testing.T, srv *Server, session *discordgo.Session, clock *testClock) *discordgo.Interaction {
				interaction := registerCommand(t, srv)
				deferResponse(t, session, interaction, 0)
				clock.Advance(TokenLifetime - time.Second)
				return interaction
			},
			wantStatus: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newTestClock()
			srv := newTestServer(t, Options{Now: clock.Now})
			session := newSession(t, srv, testToken)
			interaction := tt.prepare(t, srv, session, clock)

			_, err := session.FollowupMessageCreate(interaction, true, &discordgo.WebhookParams{Content: "result"})
			if tt.wantStatus == http.StatusOK {
				if err != nil {
					t.Fatalf("follow-up: %v", err)
				}
				return
			}
			status, code := errorCode(t, err)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("follow-up = %d/%d, want %d/%d", status, code, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestFollowupReplacesThinkingMessage(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	deferResponse(t, session, interaction, discordgo.MessageFlagsEphemeral)

	first, err := session.FollowupMessageCreate(interaction, true, &discordgo.WebhookParams{Content: "refused: limit reached"})
	if err != nil {
		t.Fatalf("first follow-up: %v", err)
	}
	second, err := session.FollowupMessageCreate(interaction, true, &discordgo.WebhookParams{Content: "more"})
	if err != nil {
		t.Fatalf("second follow-up: %v", err)
	}

	st, _ := srv.Interaction(interaction.ID)
	if st.Original == nil || st.Original.ID != first.ID {
		t.Fatalf("original = %+v, want the first follow-up %s", st.Original, first.ID)
	}
	if got, want := [3]any{st.Original.Content, st.Original.Loading(), st.Original.Ephemeral()}, [3]any{"refused: limit reached", false, true}; got != want {
		t.Errorf("original (content, loading, ephemeral) = %v, want %v", got, want)
	}
	if len(st.Followups) != 1 || st.Followups[0].ID != second.ID {
		t.Errorf("follow-ups = %d, want only the second message", len(st.Followups))
	}
}

func TestEditKeepsOrReplacesAttachments(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	deferResponse(t, session, interaction, 0)

	if _, err := session.InteractionResponseEdit(interaction, &discordgo.WebhookEdit{Files: pngFiles(t, 1)}); err != nil {
		t.Fatalf("first edit: %v", err)
	}
	if _, err := session.InteractionResponseEdit(interaction, &discordgo.WebhookEdit{Files: pngFiles(t, 1)}); err != nil {
		t.Fatalf("second edit: %v", err)
	}
	st, _ := srv.Interaction(interaction.ID)
	if got := len(st.Original.Attachments); got != 2 {
		t.Fatalf("after two edits with a file each: %d attachments, want 2 (files are added without an attachments array)", got)
	}
	keep := st.Original.Attachments[1].ID

	message, err := session.InteractionResponseEdit(interaction, &discordgo.WebhookEdit{
		Content:     ptr("only the second file"),
		Attachments: &[]*discordgo.MessageAttachment{{ID: keep}},
	})
	if err != nil {
		t.Fatalf("edit with an attachments array: %v", err)
	}
	if len(message.Attachments) != 1 || message.Attachments[0].ID != keep {
		t.Errorf("attachments after keeping %s = %+v", keep, message.Attachments)
	}

	empty := ""
	_, err = session.InteractionResponseEdit(interaction, &discordgo.WebhookEdit{Content: &empty, Attachments: &[]*discordgo.MessageAttachment{}})
	if status, code := errorCode(t, err); status != http.StatusBadRequest || code != CodeEmptyMessage {
		t.Errorf("edit to an empty message = %d/%d, want 400/%d", status, code, CodeEmptyMessage)
	}
	st, _ = srv.Interaction(interaction.ID)
	if got, want := st.Original.Edits, 3; got != want {
		t.Errorf("edits = %d, want %d (the refused edit does not count)", got, want)
	}
}

func TestDeleteOriginal(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	deferResponse(t, session, interaction, 0)

	if err := session.InteractionResponseDelete(interaction); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err := session.InteractionResponse(interaction)
	if status, code := errorCode(t, err); status != http.StatusNotFound || code != CodeUnknownMessage {
		t.Errorf("GET after delete = %d/%d, want 404/%d", status, code, CodeUnknownMessage)
	}
	st, _ := srv.Interaction(interaction.ID)
	if st.Original != nil || !st.OriginalDeleted {
		t.Errorf("state after delete: original %v, deleted %v", st.Original, st.OriginalDeleted)
	}
	if got := srv.ChannelMessages(testChannelID); len(got) != 0 {
		t.Errorf("channel still lists %d messages", len(got))
	}
}

func TestCallbackWithResponse(t *testing.T) {
	srv := newTestServer(t, Options{})
	interaction := registerCommand(t, srv)
	path := "/api/v10/interactions/" + interaction.ID + "/" + interaction.Token + "/callback?with_response=true"
	status, body := doJSON(t, srv, http.MethodPost, path, "", map[string]any{"type": 4, "data": map[string]any{"content": "hello"}})
	if status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", status, body)
	}
	var got struct {
		Interaction struct {
			ID                string `json:"id"`
			ResponseMessageID string `json:"response_message_id"`
		} `json:"interaction"`
		Resource struct {
			Type    int `json:"type"`
			Message struct {
				ID      string `json:"id"`
				Content string `json:"content"`
			} `json:"message"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []any{interaction.ID, 4, "hello", got.Resource.Message.ID}
	if diff := cmp.Diff([]any{got.Interaction.ID, got.Resource.Type, got.Resource.Message.Content, got.Interaction.ResponseMessageID}, want); diff != "" {
		t.Errorf("callback response (-got +want):\n%s", diff)
	}
}

func TestCallbackTypeMustFitInteraction(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult})
	if status, code := errorCode(t, err); status != http.StatusBadRequest || code != CodeInvalidFormBody {
		t.Errorf("autocomplete result to a slash command = %d/%d, want 400/%d", status, code, CodeInvalidFormBody)
	}
}

func TestWaitResponse(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	ctx := testContext(t)

	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = session.InteractionRespond(interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	}()
	st, err := srv.WaitResponse(ctx, interaction.ID)
	if err != nil {
		t.Fatalf("WaitResponse: %v", err)
	}
	if st.Response == nil || st.Response.Type != CallbackDeferredChannelMessage || st.Original == nil || !st.Original.Loading() {
		t.Errorf("state = %+v, want a deferred response with a loading original", st)
	}
	if _, err := srv.WaitResponse(ctx, "404"); err == nil {
		t.Error("WaitResponse for an unknown interaction returned no error")
	}
}
