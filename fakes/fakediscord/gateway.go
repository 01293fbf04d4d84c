package fakediscord

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// gatewayPath is the URL path of the fake's gateway WebSocket.
const gatewayPath = "/gateway"

// Gateway opcodes.
const (
	opDispatch            = 0
	opHeartbeat           = 1
	opIdentify            = 2
	opPresenceUpdate      = 3
	opVoiceStateUpdate    = 4
	opResume              = 6
	opReconnect           = 7
	opRequestGuildMembers = 8
	opInvalidSession      = 9
	opHello               = 10
	opHeartbeatAck        = 11
	opRequestSoundboard   = 31
)

// Gateway close codes the fake sends, as Discord documents them.
const (
	CloseUnknownError         = 4000
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidSeq           = 4007
	CloseInvalidShard         = 4010
	CloseInvalidAPIVersion    = 4012
	CloseInvalidIntents       = 4013
	CloseDisallowedIntents    = 4014
)

// maxGatewayPayload is the largest payload a client may send, in bytes;
// Discord closes the connection with 4002 above it.
const maxGatewayPayload = 4096

// historyLimit is how many dispatches a session keeps for RESUME.
const historyLimit = 1000

// Gateway event kinds recorded in GatewayEvent.Kind.
const (
	GatewayConnect    = "connect"
	GatewayReceive    = "receive"
	GatewayIdentify   = "identify"
	GatewayResume     = "resume"
	GatewayDispatch   = "dispatch"
	GatewayDisconnect = "disconnect"
)

// GatewayEvent is one thing that happened on the fake's gateway.
type GatewayEvent struct {
	Time time.Time
	// Conn numbers the WebSocket connection, from 1.
	Conn int
	// Kind is one of the Gateway* kinds.
	Kind      string
	SessionID string
	// Op is the opcode of a received payload.
	Op int
	// Type and Seq describe a sent dispatch.
	Type string
	Seq  int64
	// CloseCode is the close code of a disconnect, sent by either side,
	// or 1006 when the connection dropped without one.
	CloseCode int
	// Payload is the d field of a received payload or a sent dispatch.
	Payload json.RawMessage
}

// GatewayStats counts what happened on the gateway.
type GatewayStats struct {
	Connections int
	Identifies  int
	Resumes     int
	Disconnects int
	Heartbeats  int
}

type gateway struct {
	s        *Server
	upgrader websocket.Upgrader

	mu       sync.Mutex
	conns    map[int]*gatewayConn
	sessions map[string]*gatewaySession
	nextConn int
	events   []GatewayEvent
	changed  chan struct{}
	closed   bool
}

type gatewaySession struct {
	id       string
	seq      int64
	history  []sentDispatch
	conn     *gatewayConn
	compress bool
	invalid  bool
}

type sentDispatch struct {
	seq   int64
	frame []byte
}

type gatewayConn struct {
	id      int
	ws      *websocket.Conn
	version int
	writeMu sync.Mutex
	// closeCode is the code of the close frame the fake sent, or 0.
	closeCode atomic.Int64
	// session is the identified or resumed session, guarded by gateway.mu.
	session *gatewaySession
}

func newGateway(s *Server) *gateway {
	return &gateway{
		s:        s,
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		conns:    make(map[int]*gatewayConn),
		sessions: make(map[string]*gatewaySession),
		changed:  make(chan struct{}),
	}
}

// GatewayEvents returns what happened on the gateway so far, oldest first.
func (s *Server) GatewayEvents() []GatewayEvent {
	s.gateway.mu.Lock()
	defer s.gateway.mu.Unlock()
	return slices.Clone(s.gateway.events)
}

// GatewayStats counts connections, identifies, resumes, disconnects and
// heartbeats so far.
func (s *Server) GatewayStats() GatewayStats {
	s.gateway.mu.Lock()
	defer s.gateway.mu.Unlock()
	var out GatewayStats
	for _, e := range s.gateway.events {
		switch {
		case e.Kind == GatewayConnect:
			out.Connections++
		case e.Kind == GatewayIdentify:
			out.Identifies++
		case e.Kind == GatewayResume:
			out.Resumes++
		case e.Kind == GatewayDisconnect:
			out.Disconnects++
		case e.Kind == GatewayReceive && e.Op == opHeartbeat:
			out.Heartbeats++
		}
	}
	return out
}

// WaitReady waits until a gateway session has identified or resumed and
// is connected.
func (s *Server) WaitReady(ctx context.Context) error {
	g := s.gateway
	for {
		g.mu.Lock()
		live := g.liveLocked()
		changed := g.changed
		g.mu.Unlock()
		if live {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(errors.New("wait for a ready gateway session"), ctx.Err())
		case <-changed:
		}
	}
}

// Dispatch sends an event (op 0, with the next sequence number) to every
// gateway session. A session whose connection dropped keeps the event for
// its RESUME. It returns ErrNoSession when no session is connected now.
func (s *Server) Dispatch(ctx context.Context, event string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return errors.Join(errors.New("encode dispatch "+event), err)
	}
	g := s.gateway
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.liveLocked() {
		return ErrNoSession
	}
	var errs []error
	for _, session := range g.sessions {
		if session.invalid {
			continue
		}
		if err := g.dispatchLocked(ctx, session, event, data); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RequestReconnect sends RECONNECT (op 7) on every connection, asking the
// client to reconnect and resume.
func (s *Server) RequestReconnect() {
	s.gateway.sendAll(opReconnect, nil)
}

// InvalidateSessions sends INVALID_SESSION (op 9) on every connection.
// When resumable is false the sessions end, so a RESUME of them fails and
// the client must IDENTIFY again.
func (s *Server) InvalidateSessions(resumable bool) {
	g := s.gateway
	d, _ := json.Marshal(resumable)
	g.sendAll(opInvalidSession, d)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, conn := range g.conns {
		conn.session = nil
	}
	for _, session := range g.sessions {
		session.conn = nil
		session.invalid = session.invalid || !resumable
	}
	g.notifyLocked()
}

// CloseGateway closes every gateway connection with a close code, such as
// 4000 to make a client reconnect and resume. Sessions stay resumable.
func (s *Server) CloseGateway(code int, reason string) {
	g := s.gateway
	g.mu.Lock()
	conns := make([]*gatewayConn, 0, len(g.conns))
	for _, conn := range g.conns {
		conns = append(conns, conn)
	}
	g.mu.Unlock()
	for _, conn := range conns {
		conn.close(code, reason)
	}
}

func (g *gateway) sendAll(op int, d json.RawMessage) {
	frame := encodeFrame(op, d, nil, "")
	g.mu.Lock()
	conns := make([]*gatewayConn, 0, len(g.conns))
	for _, conn := range g.conns {
		conns = append(conns, conn)
	}
	g.mu.Unlock()
	for _, conn := range conns {
		_ = conn.write(context.Background(), frame, false)
	}
}

// liveLocked reports whether a session is connected. The caller holds
// g.mu.
func (g *gateway) liveLocked() bool {
	for _, session := range g.sessions {
		if session.conn != nil && !session.invalid {
			return true
		}
	}
	return false
}

func (g *gateway) hasLiveSession() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.liveLocked()
}

func (g *gateway) identifyCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, e := range g.events {
		if e.Kind == GatewayIdentify {
			n++
		}
	}
	return n
}

// dispatchLocked numbers and sends one dispatch on a session and keeps it
// for RESUME. The caller holds g.mu.
func (g *gateway) dispatchLocked(ctx context.Context, session *gatewaySession, event string, data json.RawMessage) error {
	session.seq++
	seq := session.seq
	frame := encodeFrame(opDispatch, data, &seq, event)
	session.history = append(session.history, sentDispatch{seq: seq, frame: frame})
	if len(session.history) > historyLimit {
		session.history = session.history[len(session.history)-historyLimit:]
	}
	g.eventLocked(GatewayEvent{Kind: GatewayDispatch, SessionID: session.id, Type: event, Seq: seq, Payload: data}, session.conn)
	if session.conn == nil {
		return nil
	}
	return session.conn.write(ctx, frame, session.compress)
}

// eventLocked records a gateway event. The caller holds g.mu.
func (g *gateway) eventLocked(e GatewayEvent, conn *gatewayConn) {
	e.Time = g.s.now()
	if conn != nil {
		e.Conn = conn.id
	}
	g.events = append(g.events, e)
}

func (g *gateway) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// closeAll closes every connection, for Server.Close.
func (g *gateway) closeAll() {
	g.mu.Lock()
	g.closed = true
	conns := make([]*gatewayConn, 0, len(g.conns))
	for _, conn := range g.conns {
		conns = append(conns, conn)
	}
	g.mu.Unlock()
	for _, conn := range conns {
		conn.close(websocket.CloseGoingAway, "fake discord is stopping")
	}
}

// encodeFrame writes a gateway payload {"op", "d", "s", "t"}.
func encodeFrame(op int, d json.RawMessage, seq *int64, event string) []byte {
	if d == nil {
		d = json.RawMessage("null")
	}
	var t any
	if event != "" {
		t = event
	}
	frame, _ := json.Marshal(map[string]any{"op": op, "d": d, "s": seq, "t": t})
	return frame
}

// write sends one frame, zlib-compressed in a binary message when the
// session asked for compression, as Discord sends it.
func (c *gatewayConn) write(ctx context.Context, frame []byte, compress bool) error {
	messageType := websocket.TextMessage
	if compress {
		var buf bytes.Buffer
		z := zlib.NewWriter(&buf)
		_, _ = z.Write(frame)
		_ = z.Close()
		frame, messageType = buf.Bytes(), websocket.BinaryMessage
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(deadline)
	if err := c.ws.WriteMessage(messageType, frame); err != nil {
		return errors.Join(errors.New("write to gateway connection"), err)
	}
	return nil
}

// close sends a close frame with code and closes the connection; the read
// loop then records the disconnect.
func (c *gatewayConn) close(code int, reason string) {
	c.closeCode.CompareAndSwap(0, int64(code))
	c.writeMu.Lock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
	c.writeMu.Unlock()
	_ = c.ws.Close()
}

func (c *gatewayConn) sentCloseCode() int {
	return int(c.closeCode.Load())
}
