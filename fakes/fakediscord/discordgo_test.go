package fakediscord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
)

// receiveInteraction waits for the next INTERACTION_CREATE a session
// handler put on ch.
func receiveInteraction(t *testing.T, ch <-chan *discordgo.InteractionCreate) *discordgo.Interaction {
	t.Helper()
	select {
	case ic := <-ch:
		return ic.Interaction
	case <-time.After(15 * time.Second):
		t.Fatal("no INTERACTION_CREATE reached the discordgo session within 15s")
		return nil
	}
}

func TestDiscordgoInteractionFlow(t *testing.T) {
	clock := newTestClock()
	srv := newTestServer(t, Options{Now: clock.Now})
	session := openSession(t, srv)
	received := make(chan *discordgo.InteractionCreate, 4)
	session.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { received <- ic })
	ctx := testContext(t)

	if err := srv.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	if got, want := session.State.User.ID, testBotUserID; got != want {
		t.Errorf("READY user ID = %q, want %q", got, want)
	}
	if got, want := session.State.Ready.Application.ID, testAppID; got != want {
		t.Errorf("READY application ID = %q, want %q", got, want)
	}

	sent := GuildCommand(testGuildID, testChannelID, testUser, "2147483648", "imagine", StringOption("prompt", "a red cube"))
	if err := srv.SendInteraction(ctx, sent); err != nil {
		t.Fatalf("SendInteraction: %v", err)
	}
	interaction := receiveInteraction(t, received)
	if got, want := interaction.Member.User.ID, testUser.ID; got != want {
		t.Errorf("member.user.id = %q, want %q", got, want)
	}
	if got, want := interaction.AppID, testAppID; got != want {
		t.Errorf("application_id = %q, want %q", got, want)
	}
	if got, want := interaction.ApplicationCommandData().Options[0].StringValue(), "a red cube"; got != want {
		t.Errorf("prompt option = %q, want %q", got, want)
	}

	if err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatalf("deferred response: %v", err)
	}
	image := makePNG(t, 4, 3)
	edited, err := session.InteractionResponseEdit(interaction, &discordgo.WebhookEdit{
		Content: ptr("a red cube, $0.04"),
		Files:   []*discordgo.File{{Name: "image-1.png", ContentType: "image/png", Reader: bytes.NewReader(image)}},
	})
	if err != nil {
		t.Fatalf("edit original response: %v", err)
	}
	if len(edited.Attachments) != 1 {
		t.Fatalf("edited message has %d attachments, want 1", len(edited.Attachments))
	}
	if got, want := [3]any{edited.Attachments[0].Filename, edited.Attachments[0].Width, edited.Attachments[0].Height}, [3]any{"image-1.png", 4, 3}; got != want {
		t.Errorf("attachment (name, width, height) = %v, want %v", got, want)
	}

	t.Run("recording", func(t *testing.T) {
		callbacks, err := srv.WaitRequests(ctx, 1, OnRoute(RouteInteractionCallback))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := callbacks[0].Status, http.StatusNoContent; got != want {
			t.Errorf("callback status = %d, want %d", got, want)
		}
		if diff := cmp.Diff(string(callbacks[0].JSON), `{"type":5}`); diff != "" {
			t.Errorf("callback body (-got +want):\n%s", diff)
		}
		edit, err := srv.WaitRequest(ctx, OnRoute(RouteOriginalEdit))
		if err != nil {
			t.Fatal(err)
		}
		if len(edit.Files) != 1 {
			t.Fatalf("edit carried %d files, want 1", len(edit.Files))
		}
		gotFile := edit.Files[0]
		if diff := cmp.Diff([3]string{gotFile.Field, gotFile.Name, gotFile.ContentType}, [3]string{"files[0]", "image-1.png", "image/png"}); diff != "" {
			t.Errorf("file part (-got +want):\n%s", diff)
		}
		if !bytes.Equal(gotFile.Data, image) {
			t.Errorf("file part holds %d bytes, want the %d bytes of the PNG", len(gotFile.Data), len(image))
		}
		var payload struct {
			Content string `json:"content"`
		}
		if err := edit.Decode(&payload); err != nil {
			t.Fatal(err)
		}
		if got, want := payload.Content, "a red cube, $0.04"; got != want {
			t.Errorf("payload_json content = %q, want %q", got, want)
		}
	})

	t.Run("state", func(t *testing.T) {
		st, ok := srv.Interaction(sent.ID)
		if !ok {
			t.Fatalf("Interaction(%s) not found", sent.ID)
		}
		if st.Response == nil || st.Response.Type != CallbackDeferredChannelMessage {
			t.Fatalf("response = %+v, want type 5", st.Response)
		}
		if st.Original == nil {
			t.Fatal("no original message")
		}
		if got, want := st.Original.Content, "a red cube, $0.04"; got != want {
			t.Errorf("original content = %q, want %q", got, want)
		}
		if st.Original.Loading() {
			t.Error("original still loading after the edit")
		}
		if got, want := st.Original.Edits, 1; got != want {
			t.Errorf("edits = %d, want %d", got, want)
		}
		if len(st.Original.Attachments) != 1 || !bytes.Equal(st.Original.Attachments[0].Data, image) {
			t.Errorf("original attachments = %d, want the PNG", len(st.Original.Attachments))
		}
	})

	t.Run("attachment download", func(t *testing.T) {
		resp, err := http.Get(edited.Attachments[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, image) {
			t.Errorf("GET attachment = %d with %d bytes, want 200 with the PNG", resp.StatusCode, len(body))
		}
	})

	t.Run("second response", func(t *testing.T) {
		err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "again"},
		})
		status, code := errorCode(t, err)
		if status != http.StatusBadRequest || code != CodeAlreadyAcknowledged {
			t.Errorf("second response = %d/%d, want 400/%d", status, code, CodeAlreadyAcknowledged)
		}
	})

	t.Run("late response", func(t *testing.T) {
		late := GuildCommand(testGuildID, testChannelID, testUser, "0", "usage")
		if err := srv.SendInteraction(ctx, late); err != nil {
			t.Fatalf("SendInteraction: %v", err)
		}
		lateInteraction := receiveInteraction(t, received)
		clock.Advance(ResponseDeadline + time.Millisecond)
		err := session.InteractionRespond(lateInteraction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
		status, code := errorCode(t, err)
		if status != http.StatusNotFound || code != CodeUnknownInteraction {
			t.Errorf("late response = %d/%d, want 404/%d", status, code, CodeUnknownInteraction)
		}
	})
}

func TestDiscordgoBadToken(t *testing.T) {
	srv := newTestServer(t, Options{})

	t.Run("gateway", func(t *testing.T) {
		session := newSession(t, srv, "wrong-token")
		err := session.Open()
		if err == nil {
			session.Close()
			t.Fatal("Open with a wrong token succeeded")
		}
		var closeErr *websocket.CloseError
		if !errors.As(err, &closeErr) || closeErr.Code != CloseAuthenticationFailed {
			t.Errorf("Open error = %v, want close code %d", err, CloseAuthenticationFailed)
		}
		if got := srv.GatewayStats().Identifies; got != 0 {
			t.Errorf("identifies = %d, want 0", got)
		}
	})

	t.Run("rest", func(t *testing.T) {
		session := newSession(t, srv, "wrong-token")
		_, err := session.ApplicationCommandBulkOverwrite(testAppID, "", []*discordgo.ApplicationCommand{{Name: "usage", Description: "Show usage"}})
		status, code := errorCode(t, err)
		if status != http.StatusUnauthorized || code != CodeGeneral {
			t.Errorf("bulk overwrite = %d/%d, want 401/0", status, code)
		}
		var body map[string]any
		if err := json.Unmarshal(restError(t, err).ResponseBody, &body); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(body, map[string]any{"message": "401: Unauthorized", "code": float64(0)}); diff != "" {
			t.Errorf("401 body (-got +want):\n%s", diff)
		}
	})
}

func TestDiscordgoResumeAfterClose(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	session.ShouldReconnectOnError = true
	if err := session.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { session.Close() })
	received := make(chan *discordgo.InteractionCreate, 2)
	session.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { received <- ic })
	ctx := testContext(t)

	srv.CloseGateway(CloseUnknownError, "test asks for a resume")
	deadline := time.Now().Add(15 * time.Second)
	for srv.GatewayStats().Resumes == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stats := srv.GatewayStats()
	if stats.Resumes != 1 || stats.Identifies != 1 {
		t.Fatalf("after the close: %+v, want 1 identify and 1 resume", stats)
	}

	in := DMCommand("777", testUser, "usage")
	if err := srv.SendInteraction(ctx, in); err != nil {
		t.Fatalf("SendInteraction after resume: %v", err)
	}
	if got := receiveInteraction(t, received); got.User == nil || got.User.ID != testUser.ID || got.Member != nil {
		t.Errorf("DM interaction after resume = %+v, want user %s and no member", got, testUser.ID)
	}
}
