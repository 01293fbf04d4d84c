package fakediscord

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
)

// frame is a gateway payload as the tests read it.
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

// dialGateway connects a raw WebSocket client with a query such as
// "?v=9&encoding=json".
func dialGateway(t *testing.T, srv *Server, query string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"/"+query, nil)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readFrame reads one payload, inflating a zlib-compressed binary frame.
func readFrame(t *testing.T, ws *websocket.Conn) frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	messageType, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read gateway frame: %v", err)
	}
	if messageType == websocket.BinaryMessage {
		z, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("inflate frame: %v", err)
		}
		if data, err = io.ReadAll(z); err != nil {
			t.Fatalf("inflate frame: %v", err)
		}
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode frame %s: %v", data, err)
	}
	return f
}

// readClose reads until the server closes the connection and returns the
// close code.
func readClose(t *testing.T, ws *websocket.Conn) int {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		var closeErr *websocket.CloseError
		if errors.As(err, &closeErr) {
			return closeErr.Code
		}
		if err != nil {
			t.Fatalf("read until close: %v", err)
		}
	}
}

func send(t *testing.T, ws *websocket.Conn, op int, d any) {
	t.Helper()
	if err := ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		t.Fatalf("send op %d: %v", op, err)
	}
}

func identifyBody(token string, compress bool) map[string]any {
	return map[string]any{
		"token":      token,
		"intents":    513,
		"compress":   compress,
		"properties": map[string]string{"os": "linux", "browser": "test", "device": "test"},
	}
}

func TestGatewayHelloAndReady(t *testing.T) {
	srv := newTestServer(t, Options{HeartbeatInterval: 1234})
	ws := dialGateway(t, srv, "?v=9&encoding=json")

	hello := readFrame(t, ws)
	var helloBody struct {
		HeartbeatInterval int `json:"heartbeat_interval"`
	}
	if err := json.Unmarshal(hello.D, &helloBody); err != nil {
		t.Fatal(err)
	}
	if hello.Op != opHello || helloBody.HeartbeatInterval != 1234 || hello.S != nil {
		t.Fatalf("first frame = op %d, interval %d, s %v; want HELLO with 1234 and no seq", hello.Op, helloBody.HeartbeatInterval, hello.S)
	}

	send(t, ws, opHeartbeat, nil)
	if ack := readFrame(t, ws); ack.Op != opHeartbeatAck {
		t.Fatalf("after a heartbeat got op %d, want %d", ack.Op, opHeartbeatAck)
	}

	send(t, ws, opIdentify, identifyBody("Bot "+testToken, true))
	ready := readFrame(t, ws)
	if ready.T == nil || *ready.T != "READY" || ready.S == nil || *ready.S != 1 {
		t.Fatalf("after IDENTIFY got op %d t %v s %v, want READY with s 1", ready.Op, ready.T, ready.S)
	}
	var readyBody struct {
		V                int    `json:"v"`
		SessionID        string `json:"session_id"`
		ResumeGatewayURL string `json:"resume_gateway_url"`
		User             struct {
			ID  string `json:"id"`
			Bot bool   `json:"bot"`
		} `json:"user"`
		Application struct {
			ID string `json:"id"`
		} `json:"application"`
		Guilds []struct {
			ID          string `json:"id"`
			Unavailable bool   `json:"unavailable"`
		} `json:"guilds"`
	}
	if err := json.Unmarshal(ready.D, &readyBody); err != nil {
		t.Fatal(err)
	}
	got := []any{readyBody.V, readyBody.User.ID, readyBody.User.Bot, readyBody.Application.ID, len(readyBody.Guilds), readyBody.ResumeGatewayURL}
	want := []any{9, testBotUserID, true, testAppID, 1, srv.GatewayURL()}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("READY (v, user, bot, application, guilds, resume URL) (-got +want):\n%s", diff)
	}
	if readyBody.SessionID == "" {
		t.Error("READY has no session_id")
	}

	guild := readFrame(t, ws)
	if guild.T == nil || *guild.T != "GUILD_CREATE" || *guild.S != 2 {
		t.Errorf("second dispatch = %v s %v, want GUILD_CREATE with s 2", guild.T, guild.S)
	}
	if stats := srv.GatewayStats(); stats.Identifies != 1 || stats.Heartbeats != 1 {
		t.Errorf("stats = %+v, want 1 identify and 1 heartbeat", stats)
	}
	for _, e := range srv.GatewayEvents() {
		if bytes.Contains(e.Payload, []byte(testToken)) {
			t.Errorf("gateway event %s op %d records the token", e.Kind, e.Op)
		}
	}
}

func TestGatewayCloseCodes(t *testing.T) {
	tests := []struct {
		name  string
		query string
		// steps runs after HELLO.
		steps func(t *testing.T, ws *websocket.Conn)
		want  int
	}{
		{
			name:  "wrong token",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) { send(t, ws, opIdentify, identifyBody("Bot nope", false)) },
			want:  CloseAuthenticationFailed,
		},
		{
			name:  "presence before identify",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				send(t, ws, opPresenceUpdate, map[string]any{"status": "online"})
			},
			want: CloseNotAuthenticated,
		},
		{
			name:  "unknown opcode",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) { send(t, ws, 42, nil) },
			want:  CloseUnknownOpcode,
		},
		{
			name:  "not json",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				if err := ws.WriteMessage(websocket.TextMessage, []byte("hello?")); err != nil {
					t.Fatal(err)
				}
			},
			want: CloseDecodeError,
		},
		{
			name:  "identify twice",
			query: "?v=10&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				send(t, ws, opIdentify, identifyBody(testToken, false))
				readFrame(t, ws) // READY
				readFrame(t, ws) // GUILD_CREATE
				send(t, ws, opIdentify, identifyBody(testToken, false))
			},
			want: CloseAlreadyAuthenticated,
		},
		{
			name:  "privileged intent",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				body := identifyBody(testToken, false)
				body["intents"] = IntentMessageContent
				send(t, ws, opIdentify, body)
			},
			want: CloseDisallowedIntents,
		},
		{
			name:  "missing intents",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				body := identifyBody(testToken, false)
				delete(body, "intents")
				send(t, ws, opIdentify, body)
			},
			want: CloseInvalidIntents,
		},
		{
			name:  "invalid shard",
			query: "?v=9&encoding=json",
			steps: func(t *testing.T, ws *websocket.Conn) {
				body := identifyBody(testToken, false)
				body["shard"] = []int{1, 1}
				send(t, ws, opIdentify, body)
			},
			want: CloseInvalidShard,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			ws := dialGateway(t, srv, tt.query)
			readFrame(t, ws) // HELLO
			tt.steps(t, ws)
			if got := readClose(t, ws); got != tt.want {
				t.Errorf("close code = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGatewayRejectsAPIVersion(t *testing.T) {
	srv := newTestServer(t, Options{})
	ws := dialGateway(t, srv, "?v=6&encoding=json")
	if got := readClose(t, ws); got != CloseInvalidAPIVersion {
		t.Errorf("close code = %d, want %d", got, CloseInvalidAPIVersion)
	}
}

func TestGatewayResume(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx := testContext(t)
	first := dialGateway(t, srv, "?v=9&encoding=json")
	readFrame(t, first) // HELLO
	send(t, first, opIdentify, identifyBody(testToken, false))
	ready := readFrame(t, first)
	readFrame(t, first) // GUILD_CREATE, s 2
	var readyBody struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal(ready.D, &readyBody); err != nil {
		t.Fatal(err)
	}

	if err := srv.Dispatch(ctx, "TEST_EVENT", map[string]int{"n": 1}); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if got := readFrame(t, first); *got.S != 3 {
		t.Fatalf("dispatch seq = %d, want 3", *got.S)
	}
	first.Close()

	t.Run("known session", func(t *testing.T) {
		second := dialGateway(t, srv, "?v=9&encoding=json")
		readFrame(t, second) // HELLO
		send(t, second, opResume, map[string]any{"token": testToken, "session_id": readyBody.SessionID, "seq": 2})
		replayed := readFrame(t, second)
		if replayed.T == nil || *replayed.T != "TEST_EVENT" || *replayed.S != 3 {
			t.Fatalf("first frame after RESUME = %v s %v, want TEST_EVENT s 3 replayed", replayed.T, replayed.S)
		}
		resumed := readFrame(t, second)
		if resumed.T == nil || *resumed.T != "RESUMED" || *resumed.S != 4 {
			t.Fatalf("second frame after RESUME = %v s %v, want RESUMED s 4", resumed.T, resumed.S)
		}
		if got := srv.GatewayStats().Resumes; got != 1 {
			t.Errorf("resumes = %d, want 1", got)
		}
	})

	t.Run("unknown session", func(t *testing.T) {
		third := dialGateway(t, srv, "?v=9&encoding=json")
		readFrame(t, third) // HELLO
		send(t, third, opResume, map[string]any{"token": testToken, "session_id": "nope", "seq": 2})
		invalid := readFrame(t, third)
		if invalid.Op != opInvalidSession || string(invalid.D) != "false" {
			t.Errorf("RESUME of an unknown session got op %d d %s, want op 9 d false", invalid.Op, invalid.D)
		}
	})
}

func TestGatewayCompressesDispatches(t *testing.T) {
	srv := newTestServer(t, Options{})
	ws := dialGateway(t, srv, "?v=9&encoding=json")
	readFrame(t, ws) // HELLO
	send(t, ws, opIdentify, identifyBody(testToken, true))
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	messageType, _, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if messageType != websocket.BinaryMessage {
		t.Errorf("READY message type = %d, want binary (zlib) after compress: true", messageType)
	}
}

func TestDispatchWithoutSession(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx := testContext(t)
	if err := srv.Dispatch(ctx, "TEST_EVENT", nil); !errors.Is(err, ErrNoSession) {
		t.Errorf("Dispatch error = %v, want ErrNoSession", err)
	}
	if err := srv.SendInteraction(ctx, DMCommand("777", testUser, "usage")); !errors.Is(err, ErrNoSession) {
		t.Errorf("SendInteraction error = %v, want ErrNoSession", err)
	}
}
