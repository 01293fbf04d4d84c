package fakediscord

import (
	"strings"
)

// Route templates, each "METHOD /path" with the placeholder names of
// Discord's OpenAPI document and without the /api/vN prefix. Request.Route
// holds one of them, and Script takes one.
const (
	RouteGateway             = "GET /gateway"
	RouteGatewayBot          = "GET /gateway/bot"
	RouteInteractionCallback = "POST /interactions/{interaction_id}/{interaction_token}/callback"
	RouteOriginalGet         = "GET /webhooks/{webhook_id}/{webhook_token}/messages/@original"
	RouteOriginalEdit        = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original"
	RouteOriginalDelete      = "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original"
	RouteFollowupCreate      = "POST /webhooks/{webhook_id}/{webhook_token}"
	RouteFollowupGet         = "GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
	RouteFollowupEdit        = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
	RouteFollowupDelete      = "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
	RouteGlobalCommandsGet   = "GET /applications/{application_id}/commands"
	RouteGlobalCommandsPut   = "PUT /applications/{application_id}/commands"
	RouteGuildCommandsGet    = "GET /applications/{application_id}/guilds/{guild_id}/commands"
	RouteGuildCommandsPut    = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
	RouteChannelGet          = "GET /channels/{channel_id}"
	RouteMessageCreate       = "POST /channels/{channel_id}/messages"
	RouteThreadCreate        = "POST /channels/{channel_id}/threads"
	RouteMessageThreadCreate = "POST /channels/{channel_id}/messages/{message_id}/threads"
	// RouteAttachmentGet and RouteEphemeralAttachmentGet are the
	// attachment host, outside the API. It serves the files the bot
	// uploaded and those added with HostAttachment.
	RouteAttachmentGet          = "GET /attachments/{channel_id}/{attachment_id}/{filename}"
	RouteEphemeralAttachmentGet = "GET /ephemeral-attachments/{channel_id}/{attachment_id}/{filename}"
)

// handler serves one route. It returns the status and the JSON value to
// respond with (nil for 204), or an error response.
type handler func(s *Server, c *call) (int, any, *apiError)

type route struct {
	key      string
	method   string
	segments []string
	// botAuth marks routes that need "Authorization: Bot <token>".
	botAuth bool
	handle  handler
}

func newRoute(key string, botAuth bool, handle handler) route {
	method, path, _ := strings.Cut(key, " ")
	return route{
		key:      key,
		method:   method,
		segments: strings.Split(strings.Trim(path, "/"), "/"),
		botAuth:  botAuth,
		handle:   handle,
	}
}

// restRoutes lists the REST routes. A literal segment such as @original is
// listed before the placeholder it would also match.
func restRoutes() []route {
	return []route{
		newRoute(RouteGateway, false, (*Server).getGateway),
		newRoute(RouteGatewayBot, true, (*Server).getGatewayBot),
		newRoute(RouteInteractionCallback, false, (*Server).createInteractionResponse),
		newRoute(RouteOriginalGet, false, (*Server).getOriginal),
		newRoute(RouteOriginalEdit, false, (*Server).editOriginal),
		newRoute(RouteOriginalDelete, false, (*Server).deleteOriginal),
		newRoute(RouteFollowupCreate, false, (*Server).createFollowup),
		newRoute(RouteFollowupGet, false, (*Server).getFollowup),
		newRoute(RouteFollowupEdit, false, (*Server).editFollowup),
		newRoute(RouteFollowupDelete, false, (*Server).deleteFollowup),
		newRoute(RouteGlobalCommandsGet, true, (*Server).getCommands),
		newRoute(RouteGlobalCommandsPut, true, (*Server).putCommands),
		newRoute(RouteGuildCommandsGet, true, (*Server).getCommands),
		newRoute(RouteGuildCommandsPut, true, (*Server).putCommands),
		newRoute(RouteChannelGet, true, (*Server).getChannel),
		newRoute(RouteMessageCreate, true, (*Server).createChannelMessage),
		newRoute(RouteThreadCreate, true, (*Server).createThread),
		newRoute(RouteMessageThreadCreate, true, (*Server).createMessageThread),
	}
}

// matchRoute finds the route for a method and an API path without its
// version prefix. It reports whether the path exists under another method,
// so that the caller can respond 405 instead of 404.
func matchRoute(routes []route, method, path string) (found *route, params map[string]string, pathExists bool) {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	for i := range routes {
		rt := &routes[i]
		p, ok := matchSegments(rt.segments, segments)
		if !ok {
			continue
		}
		if rt.method != method {
			pathExists = true
			continue
		}
		return rt, p, true
	}
	return nil, nil, pathExists
}

func matchSegments(template, segments []string) (map[string]string, bool) {
	if len(template) != len(segments) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range template {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segments[i] == "" || (segments[i] == "@original" && t == "{message_id}") {
				return nil, false
			}
			params[t[1:len(t)-1]] = segments[i]
			continue
		}
		if t != segments[i] {
			return nil, false
		}
	}
	return params, true
}

// splitVersion removes the /api/v9 or /api/v10 prefix of a REST path and
// returns the API version.
func splitVersion(path string) (version int, rest string, ok bool) {
	switch {
	case strings.HasPrefix(path, "/api/v9/"):
		return 9, strings.TrimPrefix(path, "/api/v9"), true
	case strings.HasPrefix(path, "/api/v10/"):
		return 10, strings.TrimPrefix(path, "/api/v10"), true
	}
	return 0, path, false
}
