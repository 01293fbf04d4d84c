package bot

import (
	"net/http"
	"net/url"
)

// discordOrigin is the host discordgo v0.28.1 sends every REST request to: its
// endpoint variables are computed from this origin when the package loads.
const discordOrigin = "discord.com"

// originTransport sends requests meant for https://discord.com to another
// origin, keeping the path (/api/v9/...), so that DISCORD_API_URL can name
// an API proxy or a test server. Requests to other hosts, such as
// attachment downloads, pass through unchanged.
type originTransport struct {
	origin *url.URL
	next   http.RoundTripper
}

func (t originTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != discordOrigin || (t.origin.Scheme == "https" && t.origin.Host == discordOrigin) {
		return t.next.RoundTrip(req)
	}
	// RoundTrip must not modify the caller's request.
	out := req.Clone(req.Context())
	out.URL.Scheme = t.origin.Scheme
	out.URL.Host = t.origin.Host
	out.Host = t.origin.Host
	return t.next.RoundTrip(out)
}
