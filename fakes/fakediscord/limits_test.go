package fakediscord

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

func pngFiles(t *testing.T, n int) []*discordgo.File {
	t.Helper()
	image := makePNG(t, 2, 2)
	files := make([]*discordgo.File, n)
	for i := range files {
		files[i] = &discordgo.File{Name: fmt.Sprintf("image-%d.png", i+1), ContentType: "image/png", Reader: bytes.NewReader(image)}
	}
	return files
}

func embeds(n int, description string) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, n)
	for i := range out {
		out[i] = &discordgo.MessageEmbed{Title: "result", Description: description}
	}
	return out
}

func TestResponseLimits(t *testing.T) {
	tests := []struct {
		name       string
		data       func(t *testing.T) *discordgo.InteractionResponseData
		wantStatus int
		wantCode   int
		wantPaths  []string
	}{
		{
			name: "content at the limit",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Content: strings.Repeat("é", 2000)}
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "content over the limit",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Content: strings.Repeat("a", 2001)}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.content"},
		},
		{
			name: "ten embeds",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: embeds(10, "x")}
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "eleven embeds",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: embeds(11, "x")}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.embeds"},
		},
		{
			name: "description at the limit",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: embeds(1, strings.Repeat("d", 4096))}
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "description over the limit",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: embeds(1, strings.Repeat("d", 4097))}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.embeds.0.description"},
		},
		{
			name: "embeds over 6000 characters in total",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: embeds(2, strings.Repeat("d", 3100))}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.embeds"},
		},
		{
			name: "embed field without a value",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{{Title: "t", Fields: []*discordgo.MessageEmbedField{{Name: "cost"}}}}}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.embeds.0.fields.0.value"},
		},
		{
			name: "ten files",
			data: func(t *testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Files: pngFiles(t, 10)}
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "eleven files",
			data: func(t *testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Files: pngFiles(t, 11)}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.attachments"},
		},
		{
			name: "upload over 10 MiB",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				big := bytes.Repeat([]byte{1}, DefaultMaxUploadBytes+1)
				return &discordgo.InteractionResponseData{Files: []*discordgo.File{{Name: "big.bin", ContentType: "application/octet-stream", Reader: bytes.NewReader(big)}}}
			},
			wantStatus: http.StatusRequestEntityTooLarge,
			wantCode:   CodeRequestTooLarge,
		},
		{
			name:       "empty message",
			data:       func(*testing.T) *discordgo.InteractionResponseData { return &discordgo.InteractionResponseData{} },
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeEmptyMessage,
		},
		{
			name: "file left out of the attachments array",
			data: func(t *testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{
					Files:       pngFiles(t, 2),
					Attachments: &[]*discordgo.MessageAttachment{{ID: "0", Filename: "image-1.png"}},
				}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"files[1]"},
		},
		{
			name: "attachment entry without its file",
			data: func(t *testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{
					Content:     "see file",
					Attachments: &[]*discordgo.MessageAttachment{{ID: "0", Filename: "image-1.png"}},
				}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.attachments.0.id"},
		},
		{
			name: "every file referenced",
			data: func(t *testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{
					Files:       pngFiles(t, 2),
					Attachments: &[]*discordgo.MessageAttachment{{ID: "1", Filename: "b.png"}, {ID: "0", Filename: "a.png"}},
				}
			},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "loading flag",
			data: func(*testing.T) *discordgo.InteractionResponseData {
				return &discordgo.InteractionResponseData{Content: "hi", Flags: discordgo.MessageFlagsLoading}
			},
			wantStatus: http.StatusBadRequest,
			wantCode:   CodeInvalidFormBody,
			wantPaths:  []string{"data.flags"},
		},
	}
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			interaction := registerCommand(t, srv)
			err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: tt.data(t),
			})

			last := srv.Requests()[len(srv.Requests())-1]
			if got := last.Status; got != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", got, last.Response, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusNoContent {
				if err != nil {
					t.Fatalf("InteractionRespond: %v", err)
				}
				return
			}
			_, code := errorCode(t, err)
			if code != tt.wantCode {
				t.Errorf("code = %d, want %d", code, tt.wantCode)
			}
			if tt.wantPaths != nil {
				if diff := cmp.Diff(errorPaths(t, last.Response), tt.wantPaths); diff != "" {
					t.Errorf("error paths (-got +want):\n%s", diff)
				}
			}
			if st, _ := srv.Interaction(interaction.ID); st.Response != nil {
				t.Errorf("a refused response was stored: %+v", st.Response)
			}
		})
	}
}

func TestReferencedAttachmentsKeepOrderAndNames(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	interaction := registerCommand(t, srv)
	err := session.InteractionRespond(interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Files:       pngFiles(t, 2),
			Attachments: &[]*discordgo.MessageAttachment{{ID: "1", Filename: "b.png"}, {ID: "0", Filename: "a.png"}},
		},
	})
	if err != nil {
		t.Fatalf("InteractionRespond: %v", err)
	}
	st, _ := srv.Interaction(interaction.ID)
	var names []string
	for _, a := range st.Original.Attachments {
		names = append(names, a.Filename)
	}
	if diff := cmp.Diff(names, []string{"b.png", "a.png"}); diff != "" {
		t.Errorf("attachment names (-got +want):\n%s", diff)
	}
}
