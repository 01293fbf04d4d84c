package commands

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestMayUse(t *testing.T) {
	access := Access{OwnerIDs: []string{"1"}, ModeratorRoleIDs: []string{"77"}}
	manage := int64(discordgo.PermissionManageServer)
	moderate := int64(discordgo.PermissionModerateMembers)
	tests := []struct {
		name     string
		userID   string
		perms    int64
		roles    []string
		required int64
		want     bool
	}{
		{name: "plain member and a moderator command", userID: "333", required: moderate},
		{name: "moderate members", userID: "333", perms: moderate, required: moderate, want: true},
		{name: "moderator role", userID: "333", roles: []string{"77"}, required: moderate, want: true},
		{name: "moderator role and a manager command", userID: "333", roles: []string{"77"}, required: manage},
		{name: "administrator", userID: "333", perms: discordgo.PermissionAdministrator, required: manage, want: true},
		{name: "operator", userID: "1", required: manage, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &discordgo.Interaction{ID: "9", Type: discordgo.InteractionApplicationCommand, GuildID: "555",
				Member: &discordgo.Member{User: &discordgo.User{ID: tt.userID}, Roles: tt.roles, Permissions: tt.perms}}
			call, err := NewCall(in, nil, nil, access, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := mayUse(call, tt.required); got != tt.want {
				t.Errorf("mayUse = %v, want %v", got, tt.want)
			}
		})
	}
}
