// Package fakeopenai is a strict fake of the OpenAI API for Tally's tests
// and demo. It serves real HTTP on 127.0.0.1, rejects what the real service
// rejects, reports deterministic token usage so that tests can compute exact
// costs, replays scripted failures, and records every request.
//
// Endpoints: POST /v1/images/generations, /v1/images/edits,
// /v1/images/variations, /v1/conversations and /v1/responses, and GET
// /v1/models and /v1/models/{model}. Images returned as URLs are served
// under /files/images/.
package fakeopenai

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tallybot/tally/fakes/spec"
)

// Options configures a Server.
type Options struct {
	// APIKey is the key every request must send as "Authorization: Bearer
	// <APIKey>". When empty, any non-empty bearer token is accepted.
	APIKey string
	// Validator, when set, checks every request and every successful
	// response against the OpenAPI document. A request that fails gets a
	// 400 with the validator's text, and a response that fails becomes a
	// 500, because it is a bug in the fake. Nil leaves only the fake's own
	// checks.
	Validator *spec.Validator
	// Models is the list GET /v1/models returns and the set of models the
	// endpoints accept. Nil means DefaultModels().
	Models []Model
	// Logger receives the server's logs. Nil discards them.
	Logger *slog.Logger
	// FullSizeImages makes generated images as large as the requested size
	// (1024×1024 pixels and up) and fills them with noise that PNG cannot
	// compress. A 1024×1024 PNG is then about 3 MiB and a 1536×1024 one
	// about 4.5 MiB, which lets tests exceed Discord's 10 MiB upload limit.
	// By default images are 1/64 of the requested width and height and
	// about 100 bytes long.
	FullSizeImages bool
	// Latency delays every request that has no scripted step, as the real
	// service takes seconds to make an image; zero answers at once.
	Latency time.Duration
}

// Server is a running fake OpenAI server. Its methods are safe for
// concurrent use.
type Server struct {
	opts     Options
	logger   *slog.Logger
	models   []Model
	listener net.Listener
	server   *http.Server
	mux      *http.ServeMux

	mu          sync.Mutex
	scripts     map[string][]Step
	requests    []*Request
	changed     chan struct{}
	inFlight    int
	maxInFlight int
	images      map[string]storedImage

	conversations map[string]*conversation
	// responses maps a response ID to the context after it, for
	// previous_response_id.
	responses map[string][]item
	turns     []Turn
}

// maxBodyBytes bounds a request body.
//
// NOTE: OpenAI accepts up to 16 images of 50 MB each in one edit. The fake
// holds whole bodies in memory, so it stops at 64 MiB, which fits one
// maximum-size image and the form fields.
const maxBodyBytes = 64 << 20

// New starts a server on a free port of 127.0.0.1.
func New(opts Options) (*Server, error) {
	models := opts.Models
	if models == nil {
		models = DefaultModels()
	}
	if err := checkModels(models); err != nil {
		return nil, fmt.Errorf("check models: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1: %w", err)
	}
	s := &Server{
		opts:     opts,
		logger:   logger,
		models:   models,
		listener: listener,
		mux:      http.NewServeMux(),
		scripts:  make(map[string][]Step),
		changed:  make(chan struct{}),
		images:   make(map[string]storedImage),

		conversations: make(map[string]*conversation),
		responses:     make(map[string][]item),
	}
	s.routes()
	s.server = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	go func() {
		if err := s.server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("fake OpenAI server stopped", "error", err)
		}
	}()
	logger.Info("fake OpenAI server started", "url", s.URL())
	return s, nil
}

// URL returns the API's base URL, such as http://127.0.0.1:41234/v1, the
// value OPENAI_BASE_URL takes.
func (s *Server) URL() string {
	return s.origin() + "/v1"
}

func (s *Server) origin() string {
	return "http://" + s.listener.Addr().String()
}

// Close stops the server at once. Requests in flight see their context
// canceled.
func (s *Server) Close() error {
	err := s.server.Close()
	s.logger.Info("fake OpenAI server stopped", "url", s.URL())
	if err != nil {
		return fmt.Errorf("close fake OpenAI server: %w", err)
	}
	return nil
}

func (s *Server) routes() {
	s.handle("POST /v1/images/generations", s.createImage)
	s.handle("POST /v1/images/edits", s.editImage)
	s.handle("POST /v1/images/variations", s.createVariation)
	s.handle("POST /v1/conversations", s.createConversation)
	s.handle("POST /v1/responses", s.createResponse)
	s.handle("GET /v1/models", s.listModels)
	s.handle("GET /v1/models/{model}", s.retrieveModel)
	s.mux.HandleFunc("GET /files/images/{name}", s.serveImage)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, false, invalidURL)
	})
}

// endpoint handles one request whose key and, when configured, whose
// OpenAPI validation have passed. Once its own checks pass it must call
// x.scripted and return the step's reply when there is one.
type endpoint func(x *exchange) reply

// exchange is one request as passed to an endpoint.
type exchange struct {
	r      *http.Request
	w      http.ResponseWriter
	record *Request
	server *Server
	// formErr is the error from reading a multipart body, or nil.
	formErr error

	// Set by scripted: a step supplied the reply, dropped the connection,
	// or waited while the client left.
	stepReplied bool
	dropped     bool
	canceled    bool
}

func (s *Server) handle(pattern string, ep endpoint) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, true, ep)
	})
}

// invalidURL rejects a path or method that the API does not have.
func invalidURL(x *exchange) reply {
	return errorReply(http.StatusNotFound, APIError{
		Message: fmt.Sprintf("Invalid URL (%s %s)", x.r.Method, x.r.URL.Path),
		Type:    typeInvalidRequest,
	})
}

// newRequestID returns an ID in OpenAI's x-request-id form, req_ and 32
// hexadecimal digits.
func newRequestID() string {
	return "req_" + randomHex(16)
}

// randomHex returns n random bytes as 2n hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	return hex.EncodeToString(b)
}
