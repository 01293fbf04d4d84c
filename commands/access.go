package commands

import (
	"slices"

	"github.com/bwmarrin/discordgo"
)

// Access says who holds which role in Tally, beside Discord's permissions.
type Access struct {
	// OwnerIDs are the operators' Discord user IDs.
	OwnerIDs []string
	// ModeratorRoleIDs are roles whose members moderate Tally in any server.
	ModeratorRoleIDs []string
}

// IsOperator reports whether the caller is one of the operators, who hold
// the tokens and pay OpenAI.
func (c *Call) IsOperator() bool {
	return slices.Contains(c.access.OwnerIDs, c.Caller.DiscordUserID)
}

// IsManager reports whether the caller manages the server the interaction
// came from: Manage Server or Administrator, which Discord gives the owner.
// Permissions come from the interaction's member.permissions, so no extra
// Discord request is needed; in a DM nobody manages anything.
func (c *Call) IsManager() bool {
	if c.InDM() {
		return false
	}
	return c.Permissions&(discordgo.PermissionManageServer|discordgo.PermissionAdministrator) != 0
}

// IsModerator reports whether the caller moderates the server: Moderate
// Members permission, a role in TALLY_MODERATOR_ROLE_IDS, or manager
// rights, which include everything a moderator may do.
func (c *Call) IsModerator() bool {
	if c.InDM() {
		return false
	}
	if c.IsManager() || c.Permissions&discordgo.PermissionModerateMembers != 0 {
		return true
	}
	member := c.Interaction.Member
	if member == nil {
		return false
	}
	for _, role := range member.Roles {
		if slices.Contains(c.access.ModeratorRoleIDs, role) {
			return true
		}
	}
	return false
}
