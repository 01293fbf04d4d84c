package fakediscord

import "strconv"

// Permission bits used for the payloads' default app_permissions.
const (
	permissionViewChannel           = 1 << 10
	permissionSendMessages          = 1 << 11
	permissionEmbedLinks            = 1 << 14
	permissionAttachFiles           = 1 << 15
	permissionReadMessageHistory    = 1 << 16
	permissionUseApplicationCommand = 1 << 31
	permissionCreatePublicThreads   = 1 << 35
	permissionSendInThreads         = 1 << 38
)

// botDMPermissions is the bot's permission set in a DM.
const botDMPermissions = permissionViewChannel | permissionSendMessages | permissionEmbedLinks |
	permissionAttachFiles | permissionReadMessageHistory | permissionUseApplicationCommand

// botGuildPermissions is the bot's default permission set in a server
// channel: what a bot that posts results, files and threads needs.
const botGuildPermissions = botDMPermissions | permissionCreatePublicThreads | permissionSendInThreads

// guildCreatePayload is the GUILD_CREATE d object for one of the bot's
// servers, with the fake's channels in it. The @everyone role has
// the server's ID, as on Discord.
func (s *Server) guildCreatePayload(guildID string) map[string]any {
	s.mu.Lock()
	channels := []Channel{}
	threads := []Channel{}
	for _, ch := range s.channels {
		if ch.GuildID != guildID {
			continue
		}
		if ch.IsThread() {
			threads = append(threads, *ch)
		} else {
			channels = append(channels, *ch)
		}
	}
	s.mu.Unlock()

	everyone := map[string]any{
		"id":          guildID,
		"name":        "@everyone",
		"permissions": strconv.FormatInt(botGuildPermissions, 10),
		"position":    0,
		"color":       0,
		"hoist":       false,
		"managed":     false,
		"mentionable": false,
		"flags":       0,
	}
	return map[string]any{
		"id":                            guildID,
		"name":                          "Server " + guildID,
		"icon":                          nil,
		"owner_id":                      "0",
		"joined_at":                     formatTime(s.now()),
		"large":                         false,
		"unavailable":                   false,
		"member_count":                  2,
		"members":                       []any{},
		"channels":                      channels,
		"threads":                       threads,
		"roles":                         []any{everyone},
		"emojis":                        []any{},
		"stickers":                      []any{},
		"features":                      []string{},
		"presences":                     []any{},
		"voice_states":                  []any{},
		"stage_instances":               []any{},
		"guild_scheduled_events":        []any{},
		"soundboard_sounds":             []any{},
		"preferred_locale":              "en-US",
		"premium_tier":                  0,
		"system_channel_id":             nil,
		"afk_channel_id":                nil,
		"afk_timeout":                   300,
		"verification_level":            0,
		"default_message_notifications": 0,
		"explicit_content_filter":       0,
		"mfa_level":                     0,
		"nsfw_level":                    0,
	}
}
