package fakediscord

import (
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

const alertChannelID = "888"

func TestChannelMessages(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddChannel(Channel{ID: alertChannelID, Type: ChannelTypeGuildText, GuildID: testGuildID, Name: "alerts"})
	session := newSession(t, srv, testToken)

	message, err := session.ChannelMessageSend(alertChannelID, "Server budget at 80%")
	if err != nil {
		t.Fatalf("send alert: %v", err)
	}
	if message.Author == nil || message.Author.ID != testBotUserID {
		t.Errorf("author = %+v, want the bot %s", message.Author, testBotUserID)
	}
	stored := srv.ChannelMessages(alertChannelID)
	if len(stored) != 1 || stored[0].Content != "Server budget at 80%" {
		t.Errorf("channel messages = %+v, want the alert", stored)
	}

	_, err = session.ChannelMessageSend("404404", "lost")
	if status, code := errorCode(t, err); status != http.StatusNotFound || code != CodeUnknownChannel {
		t.Errorf("send to an unknown channel = %d/%d, want 404/%d", status, code, CodeUnknownChannel)
	}

	channel, err := session.Channel(alertChannelID)
	if err != nil {
		t.Fatalf("get channel: %v", err)
	}
	if channel.Name != "alerts" || channel.GuildID != testGuildID {
		t.Errorf("channel = %+v", channel)
	}
}

func TestThreads(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	if err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "Assistant ready"},
	}); err != nil {
		t.Fatalf("respond: %v", err)
	}
	original, err := session.InteractionResponse(interaction)
	if err != nil {
		t.Fatalf("get original: %v", err)
	}

	t.Run("from a message", func(t *testing.T) {
		thread, err := session.MessageThreadStart(testChannelID, original.ID, "chat with helper", 60)
		if err != nil {
			t.Fatalf("start thread: %v", err)
		}
		if thread.ID != original.ID || thread.Type != discordgo.ChannelTypeGuildPublicThread || thread.ParentID != testChannelID {
			t.Errorf("thread = id %s type %d parent %s, want the message's ID, public, in %s", thread.ID, thread.Type, thread.ParentID, testChannelID)
		}
		_, err = session.MessageThreadStart(testChannelID, original.ID, "again", 60)
		if status, code := errorCode(t, err); status != http.StatusBadRequest || code != CodeThreadAlreadyCreated {
			t.Errorf("second thread on a message = %d/%d, want 400/%d", status, code, CodeThreadAlreadyCreated)
		}
		if _, err := session.ChannelMessageSend(thread.ID, "first reply"); err != nil {
			t.Errorf("send in the thread: %v", err)
		}
	})

	t.Run("without a message", func(t *testing.T) {
		thread, err := session.ThreadStartComplex(testChannelID, &discordgo.ThreadStart{Name: "private chat", AutoArchiveDuration: 1440})
		if err != nil {
			t.Fatalf("start thread: %v", err)
		}
		if thread.Type != discordgo.ChannelTypeGuildPrivateThread {
			t.Errorf("thread type = %d, want private (%d) when the body names none", thread.Type, discordgo.ChannelTypeGuildPrivateThread)
		}
		_, err = session.ThreadStartComplex(testChannelID, &discordgo.ThreadStart{Name: "x", AutoArchiveDuration: 61})
		if status, code := errorCode(t, err); status != http.StatusBadRequest || code != CodeInvalidFormBody {
			t.Errorf("archive duration 61 = %d/%d, want 400/%d", status, code, CodeInvalidFormBody)
		}
	})

	t.Run("in a DM", func(t *testing.T) {
		srv.AddChannel(Channel{ID: "777", Type: ChannelTypeDM, Recipients: []User{testUser}})
		_, err := session.ThreadStart("777", "nope", discordgo.ChannelTypeGuildPublicThread, 60)
		if status, code := errorCode(t, err); status != http.StatusBadRequest || code != CodeWrongChannelType {
			t.Errorf("thread in a DM = %d/%d, want 400/%d", status, code, CodeWrongChannelType)
		}
	})
}
