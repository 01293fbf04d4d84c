package fakediscord

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

func tallyCommands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{
		{
			Name:        "imagine",
			Description: "Make an image from a prompt",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "prompt", Description: "What to draw", Required: true},
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "How many images", MinValue: ptr(1.0), MaxValue: 4},
			},
		},
		{
			Name:        "assistant",
			Description: "Talk to an assistant",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Create an assistant", Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Its name", Required: true},
				}},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List assistants"},
			},
		},
	}
}

func TestCommandBulkOverwrite(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)

	created, err := session.ApplicationCommandBulkOverwrite(testAppID, "", tallyCommands())
	if err != nil {
		t.Fatalf("bulk overwrite: %v", err)
	}
	if len(created) != 2 || created[0].ID == "" || created[0].ApplicationID != testAppID {
		t.Fatalf("created = %+v, want two commands with IDs", created)
	}

	again, err := session.ApplicationCommandBulkOverwrite(testAppID, "", tallyCommands())
	if err != nil {
		t.Fatalf("second bulk overwrite: %v", err)
	}
	if got, want := []string{again[0].ID, again[0].Version}, []string{created[0].ID, created[0].Version}; !cmp.Equal(got, want) {
		t.Errorf("unchanged command (ID, version) = %v, want %v kept", got, want)
	}

	listed, err := session.ApplicationCommands(testAppID, "")
	if err != nil {
		t.Fatalf("list commands: %v", err)
	}
	var names []string
	for _, cmd := range listed {
		names = append(names, cmd.Name)
	}
	if diff := cmp.Diff(names, []string{"imagine", "assistant"}); diff != "" {
		t.Errorf("listed names (-got +want):\n%s", diff)
	}
	if got := srv.Commands(""); len(got) != 2 || len(got[1].Options) != 2 || got[1].Options[0].Type != OptionTypeSubcommand {
		t.Errorf("Commands(\"\") = %+v, want imagine and assistant with two subcommands", got)
	}

	guildCommands, err := session.ApplicationCommandBulkOverwrite(testAppID, testGuildID, tallyCommands()[:1])
	if err != nil {
		t.Fatalf("guild bulk overwrite: %v", err)
	}
	if got := guildCommands[0].GuildID; got != testGuildID {
		t.Errorf("guild command guild_id = %q, want %q", got, testGuildID)
	}
}

func TestCommandBulkOverwriteRejects(t *testing.T) {
	option := func(name string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: "an option", Required: required}
	}
	manyOptions := make([]*discordgo.ApplicationCommandOption, 26)
	for i := range manyOptions {
		manyOptions[i] = option(fmt.Sprintf("option%d", i), false)
	}
	manyChoices := make([]*discordgo.ApplicationCommandOptionChoice, 26)
	for i := range manyChoices {
		manyChoices[i] = &discordgo.ApplicationCommandOptionChoice{Name: fmt.Sprint(i), Value: fmt.Sprint(i)}
	}
	tests := []struct {
		name     string
		command  *discordgo.ApplicationCommand
		wantPath string
	}{
		{"upper-case name", &discordgo.ApplicationCommand{Name: "Imagine", Description: "d"}, "0.name"},
		{"name of 33 characters", &discordgo.ApplicationCommand{Name: strings.Repeat("a", 33), Description: "d"}, "0.name"},
		{"name with a space", &discordgo.ApplicationCommand{Name: "red cube", Description: "d"}, "0.name"},
		{"empty description", &discordgo.ApplicationCommand{Name: "imagine"}, "0.description"},
		{"description of 101 characters", &discordgo.ApplicationCommand{Name: "imagine", Description: strings.Repeat("d", 101)}, "0.description"},
		{"26 options", &discordgo.ApplicationCommand{Name: "imagine", Description: "d", Options: manyOptions}, "0.options"},
		{
			"required after optional",
			&discordgo.ApplicationCommand{Name: "imagine", Description: "d", Options: []*discordgo.ApplicationCommandOption{option("size", false), option("prompt", true)}},
			"0.options.1.required",
		},
		{
			"26 choices",
			&discordgo.ApplicationCommand{Name: "imagine", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "size", Description: "d", Choices: manyChoices}}},
			"0.options.0.choices",
		},
		{
			"upper-case option name",
			&discordgo.ApplicationCommand{Name: "imagine", Description: "d", Options: []*discordgo.ApplicationCommandOption{option("Prompt", true)}},
			"0.options.0.name",
		},
		{
			"subcommand beside a value option",
			&discordgo.ApplicationCommand{Name: "assistant", Description: "d", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "d"},
				option("name", false),
			}},
			"0.options",
		},
	}
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.ApplicationCommandBulkOverwrite(testAppID, "", []*discordgo.ApplicationCommand{tt.command})
			status, code := errorCode(t, err)
			if status != http.StatusBadRequest || code != CodeInvalidFormBody {
				t.Fatalf("bulk overwrite = %d/%d, want 400/%d", status, code, CodeInvalidFormBody)
			}
			if diff := cmp.Diff(errorPaths(t, restError(t, err).ResponseBody), []string{tt.wantPath}); diff != "" {
				t.Errorf("error paths (-got +want):\n%s", diff)
			}
		})
	}
	if got := srv.Commands(""); len(got) != 0 {
		t.Errorf("refused overwrites registered %d commands", len(got))
	}
}

func TestCommandRoutesCheckAccess(t *testing.T) {
	tests := []struct {
		name       string
		appID      string
		guildID    string
		wantStatus int
		wantCode   int
	}{
		{"server the bot is not in", testAppID, "999", http.StatusForbidden, CodeMissingAccess},
		{"another application", "42", "", http.StatusForbidden, CodeMissingAccess},
	}
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := session.ApplicationCommandBulkOverwrite(tt.appID, tt.guildID, tallyCommands())
			status, code := errorCode(t, err)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("bulk overwrite = %d/%d, want %d/%d", status, code, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestInteractionTakesRegisteredCommandID(t *testing.T) {
	srv := newTestServer(t, Options{})
	session := newSession(t, srv, testToken)
	created, err := session.ApplicationCommandBulkOverwrite(testAppID, "", tallyCommands())
	if err != nil {
		t.Fatalf("bulk overwrite: %v", err)
	}
	in, err := srv.RegisterInteraction(GuildCommand(testGuildID, testChannelID, testUser, "0", "imagine", StringOption("prompt", "x")))
	if err != nil {
		t.Fatalf("RegisterInteraction: %v", err)
	}
	if got, want := in.Data.ID, created[0].ID; got != want {
		t.Errorf("data.id = %q, want the registered command's %q", got, want)
	}
}
