package fakediscord

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// Command is a registered application command.
type Command struct {
	ID      string
	Version string
	Type    int
	// GuildID is the server of a guild command, or "" for a global one.
	GuildID     string
	Name        string
	Description string
	Options     []CommandOption
	// DefaultMemberPermissions is the permission bit set, as a decimal
	// string, a member needs by default; "" means everyone.
	DefaultMemberPermissions string
	// DMPermission is nil when the body left it out.
	DMPermission     *bool
	Contexts         []int
	IntegrationTypes []int
	NSFW             bool
}

// registeredCommand is a command with the body it was last registered
// from, to tell whether an overwrite changed it.
type registeredCommand struct {
	Command
	source []byte
}

// Commands returns the commands registered for a server, or the global
// commands when guildID is "".
func (s *Server) Commands(guildID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Command
	for _, cmd := range s.commands[guildID] {
		out = append(out, cmd.Command)
	}
	return out
}

// findCommand finds a command an interaction names: the server's own
// first, then a global one. The caller holds s.mu.
func (s *Server) findCommand(guildID, name string, commandType int) (Command, bool) {
	scopes := []string{""}
	if guildID != "" {
		scopes = []string{guildID, ""}
	}
	for _, scope := range scopes {
		for _, cmd := range s.commands[scope] {
			if cmd.Name == name && cmd.Type == commandType {
				return cmd.Command, true
			}
		}
	}
	return Command{}, false
}

// commandScope checks the application and server of a command route and
// returns the key of its command list. The caller holds s.mu.
//
// NOTE: Discord's response to another application's ID is assumed to be
// 403 Missing Access (50001), the same as for a server the bot is not in.
func (s *Server) commandScope(c *call) (string, *apiError) {
	if c.params["application_id"] != s.opts.ApplicationID {
		return "", errMissingAccess()
	}
	guildID := c.params["guild_id"]
	if guildID != "" && !s.guilds[guildID] {
		return "", errMissingAccess()
	}
	return guildID, nil
}

// getCommands serves GET of the global or a server's commands.
func (s *Server) getCommands(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, apiErr := s.commandScope(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	out := []any{}
	for _, cmd := range s.commands[scope] {
		out = append(out, s.renderCommand(cmd.Command))
	}
	return http.StatusOK, out, nil
}

// putCommands serves the bulk overwrite of the global or a server's
// commands. A command whose type and name were registered before keeps
// its ID, and gets a new version only when its body changed.
func (s *Server) putCommands(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, apiErr := s.commandScope(c)
	if apiErr != nil {
		return 0, nil, apiErr
	}

	var raws []json.RawMessage
	if c.payload == nil || json.Unmarshal(c.payload, &raws) != nil {
		return 0, nil, errInvalidForm([]fieldError{{code: "BASE_TYPE_LIST", message: "Must be a list of application commands."}})
	}
	inputs := make([]commandInput, len(raws))
	var errs []fieldError
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &inputs[i]); err != nil {
			errs = append(errs, fieldError{path: []string{strconv.Itoa(i)}, code: "MODEL_TYPE_CONVERT", message: "Invalid application command: " + err.Error()})
		}
	}
	if len(errs) == 0 {
		errs = checkCommands(inputs)
	}
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}

	previous := s.commands[scope]
	next := make([]registeredCommand, 0, len(inputs))
	out := make([]any, 0, len(inputs))
	for i, in := range inputs {
		cmd := commandFromInput(scope, in)
		cmd.ID, cmd.Version = s.ids.next(), s.ids.next()
		index := slices.IndexFunc(previous, func(p registeredCommand) bool { return p.Type == cmd.Type && p.Name == cmd.Name })
		if index >= 0 {
			cmd.ID = previous[index].ID
			if bytes.Equal(previous[index].source, raws[i]) {
				cmd.Version = previous[index].Version
			}
		}
		next = append(next, registeredCommand{Command: cmd, source: raws[i]})
		out = append(out, s.renderCommand(cmd))
	}
	s.commands[scope] = next
	return http.StatusOK, out, nil
}

func commandFromInput(guildID string, in commandInput) Command {
	cmd := Command{
		Type:             CommandTypeChatInput,
		GuildID:          guildID,
		Name:             in.Name,
		Options:          in.Options,
		DMPermission:     in.DMPermission,
		Contexts:         in.Contexts,
		IntegrationTypes: in.IntegrationTypes,
	}
	if in.Type != nil {
		cmd.Type = *in.Type
	}
	if in.Description != nil {
		cmd.Description = *in.Description
	}
	if in.NSFW != nil {
		cmd.NSFW = *in.NSFW
	}
	var permissions any
	if json.Unmarshal(in.DefaultMemberPermissions, &permissions) == nil {
		switch v := permissions.(type) {
		case string:
			cmd.DefaultMemberPermissions = v
		case float64:
			cmd.DefaultMemberPermissions = strconv.FormatInt(int64(v), 10)
		}
	}
	return cmd
}

// renderCommand returns the application command object of Discord's
// responses.
func (s *Server) renderCommand(cmd Command) map[string]any {
	integrationTypes := cmd.IntegrationTypes
	if integrationTypes == nil {
		integrationTypes = []int{0}
	}
	out := map[string]any{
		"id":                         cmd.ID,
		"application_id":             s.opts.ApplicationID,
		"version":                    cmd.Version,
		"type":                       cmd.Type,
		"name":                       cmd.Name,
		"name_localizations":         nil,
		"description":                cmd.Description,
		"description_localizations":  nil,
		"default_member_permissions": nullIfEmpty(cmd.DefaultMemberPermissions),
		"integration_types":          integrationTypes,
		"contexts":                   cmd.Contexts,
		"nsfw":                       cmd.NSFW,
	}
	if len(cmd.Options) > 0 {
		out["options"] = cmd.Options
	}
	if cmd.GuildID != "" {
		out["guild_id"] = cmd.GuildID
	} else {
		out["dm_permission"] = cmd.DMPermission == nil || *cmd.DMPermission
	}
	return out
}
