package fakeopenai

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Request is one request the server received, with the status it sent.
// The maps and slices are shared with the server's record, so callers must
// not modify them.
type Request struct {
	Time      time.Time
	RequestID string
	Method    string
	Path      string
	Header    http.Header
	Body      []byte
	// JSON is the decoded body of a JSON request, or nil.
	JSON map[string]any
	// Fields and Files are the parts of a multipart/form-data request, in
	// the order received. Fields maps a part name to its values.
	Fields map[string][]string
	Files  []File

	// Status is the HTTP status sent. It is 0 while the response is being
	// prepared, and when the request was dropped or canceled.
	Status int
	// Dropped reports that a DropConnection step closed the connection.
	Dropped bool
	// Canceled reports that the client went away before the response.
	Canceled bool
}

// File is one file part of a multipart request.
type File struct {
	Field       string
	Filename    string
	ContentType string
	Data        []byte
}

// finished reports whether the request got a response or was dropped or canceled.
func (r *Request) finished() bool {
	return r.Status != 0 || r.Dropped || r.Canceled
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot()
}

func (s *Server) snapshot() []Request {
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// WaitRequests waits until at least n requests have finished (responded,
// dropped or canceled) and returns every request received, as Requests
// does. It returns an error when ctx ends first.
func (s *Server) WaitRequests(ctx context.Context, n int) ([]Request, error) {
	for {
		s.mu.Lock()
		finished := 0
		for _, r := range s.requests {
			if r.finished() {
				finished++
			}
		}
		if finished >= n {
			out := s.snapshot()
			s.mu.Unlock()
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %d requests, %d finished: %w", n, finished, ctx.Err())
		case <-changed:
		}
	}
}

// InFlight returns the number of requests being handled now.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// MaxInFlight returns the highest number of requests handled at the same
// time since the server started.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// begin records a received request and counts it in flight.
func (s *Server) begin(r *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.notifyLocked()
}

// end stores how a request finished and stops counting it in flight.
func (s *Server) end(r *Request, status int, dropped, canceled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Status, r.Dropped, r.Canceled = status, dropped, canceled
	s.inFlight--
	s.notifyLocked()
}

// notifyLocked wakes every WaitRequests call. The caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
