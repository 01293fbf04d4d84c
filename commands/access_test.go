package commands

import (
	"strconv"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestCallRoles(t *testing.T) {
	access := Access{OwnerIDs: []string{"1"}, ModeratorRoleIDs: []string{"77"}}
	tests := []struct {
		name                         string
		userID                       string
		dm                           bool
		perms                        int64
		roles                        []string
		operator, manager, moderator bool
	}{
		{name: "plain member", userID: "333"},
		{name: "moderate members", userID: "333", perms: discordgo.PermissionModerateMembers, moderator: true},
		{name: "moderator role", userID: "333", roles: []string{"5", "77"}, moderator: true},
		{name: "manage server", userID: "333", perms: discordgo.PermissionManageServer, manager: true, moderator: true},
		{name: "administrator", userID: "333", perms: discordgo.PermissionAdministrator, manager: true, moderator: true},
		{name: "operator", userID: "1", operator: true},
		{name: "administrator in a DM has no server", userID: "333", dm: true, perms: discordgo.PermissionAdministrator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &discordgo.Interaction{ID: "9", Type: discordgo.InteractionApplicationCommand}
			if tt.dm {
				in.User = &discordgo.User{ID: tt.userID}
			} else {
				in.GuildID = "555"
				in.Member = &discordgo.Member{User: &discordgo.User{ID: tt.userID}, Roles: tt.roles, Permissions: tt.perms}
			}
			call, err := NewCall(in, nil, nil, access, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := call.IsOperator(); got != tt.operator {
				t.Errorf("IsOperator = %v, want %v", got, tt.operator)
			}
			if got := call.IsManager(); got != tt.manager {
				t.Errorf("IsManager = %v, want %v", got, tt.manager)
			}
			if got := call.IsModerator(); got != tt.moderator {
				t.Errorf("IsModerator = %v, want %v (perms %s)", got, tt.moderator, strconv.FormatInt(tt.perms, 2))
			}
		})
	}
}
