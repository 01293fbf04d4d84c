package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/websocket"
)

// Gateway intent bits Discord counts as privileged.
const (
	IntentGuildMembers   = 1 << 1
	IntentGuildPresences = 1 << 8
	IntentMessageContent = 1 << 15
	privilegedIntents    = IntentGuildMembers | IntentGuildPresences | IntentMessageContent
	// knownIntents covers bits 0 to 25, the intents Discord defines.
	knownIntents = 1<<26 - 1
)

// serve upgrades a request to a gateway connection and runs it.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		http.Error(w, "fake discord is stopping", http.StatusServiceUnavailable)
		return
	}
	ws, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		g.s.log.Warn("gateway upgrade failed", "error", err)
		return
	}

	g.mu.Lock()
	g.nextConn++
	conn := &gatewayConn{id: g.nextConn, ws: ws}
	g.conns[conn.id] = conn
	g.eventLocked(GatewayEvent{Kind: GatewayConnect}, conn)
	g.mu.Unlock()
	g.s.log.Debug("gateway connection opened", "conn", conn.id, "query", r.URL.RawQuery)

	ws.SetReadLimit(1 << 20)
	if code, reason := checkGatewayQuery(r); code != 0 {
		conn.close(code, reason)
	} else {
		conn.version, _ = strconv.Atoi(r.URL.Query().Get("v"))
		hello, _ := json.Marshal(map[string]any{"heartbeat_interval": g.s.opts.HeartbeatInterval, "_trace": []string{`["fake-gateway",{"micros":0}]`}})
		_ = conn.write(context.Background(), encodeFrame(opHello, hello, nil, ""), false)
	}
	g.readLoop(conn)
}

// checkGatewayQuery checks the connection URL's query: v must be 9 or
// 10 and encoding json.
func checkGatewayQuery(r *http.Request) (int, string) {
	query := r.URL.Query()
	switch query.Get("v") {
	case "9", "10":
	default:
		return CloseInvalidAPIVersion, "Invalid API version."
	}
	if encoding := query.Get("encoding"); encoding != "" && encoding != "json" {
		return CloseDecodeError, "The fake gateway speaks only encoding=json."
	}
	if query.Get("compress") != "" {
		return CloseUnknownError, "The fake gateway has no transport compression; payload compression through IDENTIFY works."
	}
	return 0, ""
}

// gatewayPayload is a payload a client sends.
type gatewayPayload struct {
	Op *int            `json:"op"`
	D  json.RawMessage `json:"d"`
}

// readLoop reads payloads until the connection ends, then records the
// disconnect.
func (g *gateway) readLoop(conn *gatewayConn) {
	closeCode := websocket.CloseAbnormalClosure
	for {
		messageType, data, err := conn.ws.ReadMessage()
		if err != nil {
			var closeErr *websocket.CloseError
			if errors.As(err, &closeErr) {
				closeCode = closeErr.Code
			}
			break
		}
		if code, reason := g.handlePayload(conn, messageType, data); code != 0 {
			g.s.log.Info("gateway connection closed by the fake", "conn", conn.id, "close_code", code, "reason", reason)
			conn.close(code, reason)
			closeCode = code
			break
		}
	}
	if sent := conn.sentCloseCode(); sent != 0 {
		closeCode = sent
	}

	g.mu.Lock()
	delete(g.conns, conn.id)
	sessionID := ""
	if conn.session != nil {
		sessionID = conn.session.id
		if conn.session.conn == conn {
			conn.session.conn = nil
		}
	}
	g.eventLocked(GatewayEvent{Kind: GatewayDisconnect, SessionID: sessionID, CloseCode: closeCode}, conn)
	g.notifyLocked()
	g.mu.Unlock()
	_ = conn.ws.Close()
	g.s.log.Debug("gateway connection closed", "conn", conn.id, "close_code", closeCode)
}

// handlePayload handles one client payload. It returns a close code and
// reason when the connection must close.
func (g *gateway) handlePayload(conn *gatewayConn, messageType int, data []byte) (int, string) {
	if messageType != websocket.TextMessage || len(data) > maxGatewayPayload {
		return CloseDecodeError, "Error while decoding payload."
	}
	var p gatewayPayload
	if err := json.Unmarshal(data, &p); err != nil || p.Op == nil {
		return CloseDecodeError, "Error while decoding payload."
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	recorded := p.D
	if *p.Op == opIdentify || *p.Op == opResume {
		recorded = redactToken(p.D)
	}
	g.eventLocked(GatewayEvent{Kind: GatewayReceive, Op: *p.Op, Payload: recorded}, conn)

	switch *p.Op {
	case opHeartbeat:
		_ = conn.write(context.Background(), encodeFrame(opHeartbeatAck, nil, nil, ""), false)
		return 0, ""
	case opIdentify:
		return g.identifyLocked(conn, p.D)
	case opResume:
		return g.resumeLocked(conn, p.D)
	case opPresenceUpdate, opVoiceStateUpdate, opRequestGuildMembers, opRequestSoundboard:
		if conn.session == nil {
			return CloseNotAuthenticated, "Not authenticated."
		}
		return 0, ""
	default:
		return CloseUnknownOpcode, "Unknown opcode."
	}
}

// tokenMatches accepts the bot token with or without the "Bot " prefix,
// as Discord does in IDENTIFY and RESUME.
func (g *gateway) tokenMatches(token string) bool {
	return token == g.s.opts.Token || token == "Bot "+g.s.opts.Token
}

// identifyLocked starts a session: READY, then GUILD_CREATE for each of
// the bot's servers. The caller holds g.mu.
func (g *gateway) identifyLocked(conn *gatewayConn, d json.RawMessage) (int, string) {
	var identify struct {
		Token    string  `json:"token"`
		Intents  *uint64 `json:"intents"`
		Compress bool    `json:"compress"`
		Shard    *[2]int `json:"shard"`
	}
	if err := json.Unmarshal(d, &identify); err != nil {
		return CloseDecodeError, "Error while decoding payload."
	}
	if conn.session != nil {
		return CloseAlreadyAuthenticated, "Already authenticated."
	}
	if !g.tokenMatches(identify.Token) {
		return CloseAuthenticationFailed, "Authentication failed."
	}
	if identify.Intents == nil || *identify.Intents&^knownIntents != 0 {
		return CloseInvalidIntents, "Invalid intent(s)."
	}
	if *identify.Intents&privilegedIntents&^g.s.opts.PrivilegedIntents != 0 {
		return CloseDisallowedIntents, "Disallowed intent(s)."
	}
	if shard := identify.Shard; shard != nil && (shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
		return CloseInvalidShard, "Invalid shard."
	}

	session := &gatewaySession{id: randomHex(16), compress: identify.Compress, conn: conn}
	g.sessions[session.id] = session
	conn.session = session
	g.eventLocked(GatewayEvent{Kind: GatewayIdentify, SessionID: session.id, Payload: redactToken(d)}, conn)

	ready, _ := json.Marshal(g.readyPayload(conn, session, identify.Shard))
	if err := g.dispatchLocked(context.Background(), session, "READY", ready); err != nil {
		return CloseUnknownError, "Failed to send READY."
	}
	for _, guildID := range g.s.opts.Guilds {
		guild, _ := json.Marshal(g.s.guildCreatePayload(guildID))
		if err := g.dispatchLocked(context.Background(), session, "GUILD_CREATE", guild); err != nil {
			return CloseUnknownError, "Failed to send GUILD_CREATE."
		}
	}
	g.notifyLocked()
	return 0, ""
}

// resumeLocked resumes a session: the dispatches the client missed, then
// RESUMED. An unknown or ended session gets INVALID_SESSION with d false.
// The caller holds g.mu.
func (g *gateway) resumeLocked(conn *gatewayConn, d json.RawMessage) (int, string) {
	var resume struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(d, &resume); err != nil {
		return CloseDecodeError, "Error while decoding payload."
	}
	if conn.session != nil {
		return CloseAlreadyAuthenticated, "Already authenticated."
	}
	if !g.tokenMatches(resume.Token) {
		return CloseAuthenticationFailed, "Authentication failed."
	}
	session, ok := g.sessions[resume.SessionID]
	if !ok || session.invalid {
		_ = conn.write(context.Background(), encodeFrame(opInvalidSession, json.RawMessage("false"), nil, ""), false)
		return 0, ""
	}
	if resume.Seq > session.seq {
		return CloseInvalidSeq, "Invalid seq."
	}

	if old := session.conn; old != nil && old != conn {
		old.session = nil
		go old.close(CloseUnknownError, "Session resumed on another connection.")
	}
	session.conn = conn
	conn.session = session
	g.eventLocked(GatewayEvent{Kind: GatewayResume, SessionID: session.id, Seq: resume.Seq}, conn)
	for _, sent := range session.history {
		if sent.seq > resume.Seq {
			if err := conn.write(context.Background(), sent.frame, session.compress); err != nil {
				return CloseUnknownError, "Failed to replay events."
			}
		}
	}
	resumed, _ := json.Marshal(map[string]any{"_trace": []string{`["fake-gateway",{"micros":0}]`}})
	if err := g.dispatchLocked(context.Background(), session, "RESUMED", resumed); err != nil {
		return CloseUnknownError, "Failed to send RESUMED."
	}
	g.notifyLocked()
	return 0, ""
}

// readyPayload is READY's d object.
func (g *gateway) readyPayload(conn *gatewayConn, session *gatewaySession, shard *[2]int) map[string]any {
	guilds := make([]any, 0, len(g.s.opts.Guilds))
	for _, id := range g.s.opts.Guilds {
		guilds = append(guilds, map[string]any{"id": id, "unavailable": true})
	}
	user := map[string]any{
		"id":            g.s.opts.BotUserID,
		"username":      g.s.opts.BotUsername,
		"discriminator": "0000",
		"global_name":   nil,
		"avatar":        nil,
		"bot":           true,
		"verified":      true,
		"mfa_enabled":   false,
		"email":         nil,
		"flags":         0,
	}
	out := map[string]any{
		"v":                       conn.version,
		"user":                    user,
		"guilds":                  guilds,
		"session_id":              session.id,
		"session_type":            "normal",
		"resume_gateway_url":      g.s.GatewayURL(),
		"application":             map[string]any{"id": g.s.opts.ApplicationID, "flags": 0},
		"private_channels":        []any{},
		"relationships":           []any{},
		"presences":               []any{},
		"guild_join_requests":     []any{},
		"geo_ordered_rtc_regions": []string{"fake"},
		"user_settings":           map[string]any{},
		"auth":                    map[string]any{},
		"_trace":                  []string{`["fake-gateway",{"micros":0}]`},
	}
	if shard != nil {
		out["shard"] = shard
	}
	return out
}

// redactToken returns an IDENTIFY payload with its token replaced, so
// recorded events never hold the secret.
func redactToken(d json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(d, &fields) != nil {
		return nil
	}
	fields["token"] = json.RawMessage(`"[redacted]"`)
	out, _ := json.Marshal(fields)
	return out
}
