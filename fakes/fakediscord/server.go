// Package fakediscord is a strict, recording fake of Discord's HTTP API and
// gateway for tests and demos. It listens on a loopback port, speaks real
// HTTP and WebSocket, serves the routes a slash-command bot uses with
// Discord's responses (errors and limits included), and records every
// request so that a test can check what the bot sent.
//
// Point a discordgo session at it by rewriting the origin
// https://discord.com to URL() in the session's HTTP client; request paths
// keep their /api/v9 prefix (/api/v10 is accepted too).
package fakediscord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultHeartbeatInterval is the gateway heartbeat interval, in
// milliseconds, that the fake sends in HELLO unless Options sets another.
const DefaultHeartbeatInterval = 41250

// DefaultMaxUploadBytes is the total size of the files one request may
// upload, 10 MiB, which is Discord's limit for a server without boosts.
const DefaultMaxUploadBytes = 10 << 20

// Options configures a Server. Token, ApplicationID and BotUserID are
// required.
type Options struct {
	// Token is the bot token. REST routes that need bot authentication
	// require the header "Authorization: Bot <Token>", and the gateway
	// IDENTIFY must carry it (with or without the "Bot " prefix).
	Token string
	// ApplicationID is the application's snowflake, sent in READY and
	// required in the webhook and command routes.
	ApplicationID string
	// BotUserID is the bot user's snowflake, sent in READY and used as the
	// author of the bot's messages.
	BotUserID string
	// BotUsername is the bot user's name. The default is "Tally".
	BotUsername string
	// Guilds lists the IDs of the servers the bot is in. They are sent in
	// READY (as unavailable) and each gets a GUILD_CREATE. Guild command
	// routes respond 403 for any other server, except one that an
	// interaction has come from.
	Guilds []string
	// HeartbeatInterval is the interval sent in HELLO, in milliseconds.
	// Zero means DefaultHeartbeatInterval.
	HeartbeatInterval int
	// PrivilegedIntents is the set of privileged gateway intents
	// (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT) enabled for the
	// application. IDENTIFY asking for another privileged intent is
	// closed with 4014, as Discord does.
	PrivilegedIntents uint64
	// MaxUploadBytes is the total size of the files one request may
	// upload. Zero means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Validate, when set, is called with every REST request and its body.
	// An error gets Discord's response to an invalid body: 400 with code
	// 50035 "Invalid Form Body" and the error text.
	Validate func(r *http.Request, body []byte) error
	// Logger receives the fake's log lines. Nil discards them.
	Logger *slog.Logger
	// Now is the clock behind the 3-second and 15-minute interaction
	// rules, snowflakes and timestamps. Nil means time.Now.
	Now func() time.Time
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	ids      *snowflakes
	routes   []route
	listener net.Listener
	http     *http.Server
	origin   string
	cdnKey   []byte

	mu           sync.Mutex
	requests     []Request
	changed      chan struct{}
	scripts      map[string][]Step
	interactions map[string]*interactionState
	byToken      map[string]*interactionState
	channels     map[string]*Channel
	messages     map[string]*Message
	threads      map[string]bool
	guilds       map[string]bool
	commands     map[string][]registeredCommand
	hosted       map[string]Attachment

	gateway *gateway
}

// New starts a fake on 127.0.0.1 with a free port.
func New(opts Options) (*Server, error) {
	if opts.Token == "" || opts.ApplicationID == "" || opts.BotUserID == "" {
		return nil, errors.New("fakediscord: Token, ApplicationID and BotUserID are required")
	}
	if opts.BotUsername == "" {
		opts.BotUsername = "Tally"
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.MaxUploadBytes == 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	s := &Server{
		opts:         opts,
		log:          logger,
		now:          now,
		ids:          newSnowflakes(now),
		routes:       restRoutes(),
		listener:     listener,
		origin:       "http://" + listener.Addr().String(),
		cdnKey:       randomBytes(32),
		changed:      make(chan struct{}),
		scripts:      make(map[string][]Step),
		interactions: make(map[string]*interactionState),
		byToken:      make(map[string]*interactionState),
		channels:     make(map[string]*Channel),
		messages:     make(map[string]*Message),
		threads:      make(map[string]bool),
		guilds:       make(map[string]bool),
		commands:     make(map[string][]registeredCommand),
		hosted:       make(map[string]Attachment),
	}
	for _, id := range opts.Guilds {
		s.guilds[id] = true
	}
	s.gateway = newGateway(s)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("fake discord stopped serving", "error", err)
		}
	}()
	logger.Info("fake discord started", "url", s.origin)
	return s, nil
}

// URL returns the fake's origin, such as http://127.0.0.1:41234. REST
// paths start with /api/v9 or /api/v10 below it.
func (s *Server) URL() string { return s.origin }

// GatewayURL returns the WebSocket URL that GET /gateway returns.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.origin, "http") + gatewayPath
}

// Close closes every gateway connection and stops the HTTP server.
func (s *Server) Close() error {
	s.gateway.closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = s.http.Close()
	}
	s.log.Info("fake discord stopped", "url", s.origin)
	return err
}

// ServeHTTP routes a request to the gateway, the attachment host or the
// REST API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == gatewayPath || r.URL.Path == gatewayPath+"/":
		s.gateway.serve(w, r)
	case strings.HasPrefix(r.URL.Path, cdnPrefix), strings.HasPrefix(r.URL.Path, ephemeralPrefix):
		s.serveAttachment(w, r)
	default:
		s.serveREST(w, r)
	}
}
