package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Request is one HTTP request the fake received, with its response.
type Request struct {
	// Time is when the request arrived, on the server's clock.
	Time   time.Time
	Method string
	// Path is the path as received, such as
	// /api/v9/interactions/123/abc/callback.
	Path string
	// Query is the raw query string, without "?".
	Query string
	// Route is the matched route template, such as
	// "POST /interactions/{interaction_id}/{interaction_token}/callback"
	// (see the Route constants), or "" when no route matched.
	Route string
	// Params holds the values of the route's placeholders.
	Params map[string]string
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// JSON is the JSON payload: the body itself, or the payload_json part
	// of a multipart body. It is nil when there is none.
	JSON json.RawMessage
	// Files holds the uploaded files[n] parts of a multipart body.
	Files []File
	// Status is the HTTP status of the response.
	Status int
	// Code is the Discord error code of an error response, or 0.
	Code int
	// Error is the message of an error response, or "".
	Error string
	// ResponseHeader contains the response headers.
	ResponseHeader http.Header
	// Response is the response body.
	Response []byte
}

// File is one uploaded file part of a multipart request.
type File struct {
	// Field is the form field name, such as "files[0]".
	Field       string
	Name        string
	ContentType string
	Data        []byte
}

// Decode unmarshals the request's JSON payload into v.
func (r Request) Decode(v any) error {
	if r.JSON == nil {
		return fmt.Errorf("decode %s %s: the request has no JSON payload", r.Method, r.Path)
	}
	if err := json.Unmarshal(r.JSON, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", r.Method, r.Path, err)
	}
	return nil
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Unexpected returns the requests that matched no route of the fake: the
// bot asked for something a slash-command bot should not need.
func (s *Server) Unexpected() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Route == "" {
			out = append(out, r)
		}
	}
	return out
}

// OnRoute returns a predicate that matches requests of one route template,
// for WaitRequest.
func OnRoute(route string) func(Request) bool {
	return func(r Request) bool { return r.Route == route }
}

// WaitRequest waits until a received request matches, and returns the
// first one that does, looking at requests received before the call too.
// It returns ctx's error when ctx ends first.
func (s *Server) WaitRequest(ctx context.Context, match func(Request) bool) (Request, error) {
	found, err := s.WaitRequests(ctx, 1, match)
	if err != nil {
		return Request{}, err
	}
	return found[0], nil
}

// WaitRequests waits until n received requests match, and returns the
// first n that do.
func (s *Server) WaitRequests(ctx context.Context, n int, match func(Request) bool) ([]Request, error) {
	for {
		s.mu.Lock()
		var found []Request
		for _, r := range s.requests {
			if match(r) {
				found = append(found, r)
			}
		}
		changed := s.changed
		s.mu.Unlock()

		if len(found) >= n {
			return found[:n], nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %d matching requests, saw %d: %w", n, len(found), ctx.Err())
		case <-changed:
		}
	}
}

// record appends a finished request and wakes the waiters.
func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	level := slog.LevelDebug
	if r.Status >= 400 {
		level = slog.LevelInfo
	}
	s.log.Log(context.Background(), level, "fake discord responded",
		"method", r.Method, "path", r.Path, "route", r.Route, "status", r.Status, "code", r.Code)
}
