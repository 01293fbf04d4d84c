package fakediscord

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
)

// topLevelKeys returns the sorted keys of an interaction's JSON object.
func topLevelKeys(t *testing.T, in Interaction) []string {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// asDiscordgo decodes an interaction the way a discordgo bot receives it.
func asDiscordgo(t *testing.T, in Interaction) discordgo.Interaction {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out discordgo.Interaction
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("discordgo cannot decode %s: %v", raw, err)
	}
	return out
}

func TestGuildAndDMCommandShapes(t *testing.T) {
	common := []string{"app_permissions", "application_id", "attachment_size_limit", "authorizing_integration_owners", "channel", "channel_id", "context", "data", "entitlements", "id", "locale", "token", "type", "version"}
	tests := []struct {
		name        string
		interaction Interaction
		wantKeys    []string
		wantContext int
		wantOwners  map[string]string
	}{
		{
			name:        "guild",
			interaction: GuildCommand(testGuildID, testChannelID, testUser, "1099511627775", "usage"),
			wantKeys:    append([]string{"guild", "guild_id", "guild_locale", "member"}, common...),
			wantContext: ContextGuild,
			wantOwners:  map[string]string{"0": testGuildID},
		},
		{
			name:        "dm",
			interaction: DMCommand("777", testUser, "usage"),
			wantKeys:    append([]string{"user"}, common...),
			wantContext: ContextBotDM,
			wantOwners:  map[string]string{"0": "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.wantKeys)
			slices.Sort(want)
			if diff := cmp.Diff(topLevelKeys(t, tt.interaction), want); diff != "" {
				t.Errorf("top-level keys (-got +want):\n%s", diff)
			}
			if got := tt.interaction.Context; got != tt.wantContext {
				t.Errorf("context = %d, want %d", got, tt.wantContext)
			}
			if diff := cmp.Diff(tt.interaction.AuthorizingIntegrationOwners, tt.wantOwners); diff != "" {
				t.Errorf("authorizing_integration_owners (-got +want):\n%s", diff)
			}
			decoded := asDiscordgo(t, tt.interaction)
			invoker := decoded.User
			if decoded.Member != nil {
				invoker = decoded.Member.User
			}
			if invoker == nil || invoker.ID != testUser.ID {
				t.Errorf("discordgo sees invoker %+v, want %s", invoker, testUser.ID)
			}
			if decoded.AppPermissions == 0 {
				t.Error("app_permissions did not decode as a permission set")
			}
		})
	}
}

func TestGuildCommandMemberPermissions(t *testing.T) {
	decoded := asDiscordgo(t, GuildCommand(testGuildID, testChannelID, testUser, "1099511627775", "usage"))
	if got, want := decoded.Member.Permissions, int64(1099511627775); got != want {
		t.Errorf("member.permissions = %d, want %d", got, want)
	}
	if decoded.Member.JoinedAt.IsZero() {
		t.Error("member.joined_at did not decode")
	}
}

func TestAttachmentOptionResolved(t *testing.T) {
	srv := newTestServer(t, Options{})
	image := makePNG(t, 6, 5)
	attachment := srv.HostAttachment(testChannelID, "cat.png", "image/png", image)
	in := GuildCommand(testGuildID, testChannelID, testUser, "0", "variation",
		AttachmentOption("image", attachment), StringOption("prompt", "bluer"))

	data := asDiscordgo(t, in).ApplicationCommandData()
	option := data.Options[0]
	if option.Type != discordgo.ApplicationCommandOptionAttachment || option.Value != attachment.ID {
		t.Fatalf("option = type %d value %v, want type 11 with the attachment ID", option.Type, option.Value)
	}
	resolved, ok := data.Resolved.Attachments[attachment.ID]
	if !ok {
		t.Fatalf("resolved.attachments has no %s", attachment.ID)
	}
	got := []any{resolved.Filename, resolved.ContentType, resolved.Size, resolved.Width, resolved.Height, resolved.URL}
	want := []any{"cat.png", "image/png", len(image), 6, 5, attachment.URL}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("resolved attachment (-got +want):\n%s", diff)
	}
	query, err := url.ParseQuery(mustParseURL(t, resolved.URL).RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"ex", "is", "hm"} {
		if query.Get(key) == "" {
			t.Errorf("attachment URL lacks the signed %q parameter", key)
		}
	}
}

func TestSubcommandOptions(t *testing.T) {
	in := GuildCommand(testGuildID, testChannelID, testUser, "0", "blacklist",
		Subcommand("add", UserOption("member", User{ID: "444", Username: "bob"}), BooleanOption("global", false)))
	data := asDiscordgo(t, in).ApplicationCommandData()

	sub := data.Options[0]
	if sub.Type != discordgo.ApplicationCommandOptionSubCommand || sub.Name != "add" || len(sub.Options) != 2 {
		t.Fatalf("subcommand = %+v, want add with two options", sub)
	}
	if got := sub.Options[1].BoolValue(); got {
		t.Error("global option decoded as true, want false")
	}
	if _, ok := sub.Options[1].Value.(bool); !ok {
		t.Errorf("a false boolean option lost its value: %#v", sub.Options[1].Value)
	}
	if _, ok := data.Resolved.Users["444"]; !ok {
		t.Error("resolved.users lacks the member option's user")
	}
	if _, ok := data.Resolved.Members["444"]; !ok {
		t.Error("resolved.members lacks the member option's member")
	}

	empty := asDiscordgo(t, GuildCommand(testGuildID, testChannelID, testUser, "0", "assistant", Subcommand("list")))
	if opts := empty.ApplicationCommandData().Options[0].Options; opts == nil {
		t.Error("a subcommand without options has no options array")
	}
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u
}
