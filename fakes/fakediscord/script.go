package fakediscord

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Step is one scripted response, used by the next request on a route in
// place of the normal handling (see Script).
type Step struct {
	delay   time.Duration
	failure func(now time.Time) *apiError
}

// Script queues steps for the next requests on a route, one step per
// request in order. Requests after the queue is used up are handled
// normally. A scripted failure changes no state, as a request Discord
// refuses changes none.
//
// Script panics when route is not one of the Route constants, because a
// misspelt route would never match.
func (s *Server) Script(routeKey string, steps ...Step) {
	known := slices.ContainsFunc(s.routes, func(rt route) bool { return rt.key == routeKey })
	if !known && routeKey != RouteAttachmentGet && routeKey != RouteEphemeralAttachmentGet {
		panic(fmt.Sprintf("fakediscord: Script: unknown route %q; use a Route constant", routeKey))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[routeKey] = append(s.scripts[routeKey], steps...)
}

func (s *Server) nextStep(route string) (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	queue := s.scripts[route]
	if len(queue) == 0 {
		return Step{}, false
	}
	s.scripts[route] = queue[1:]
	return queue[0], true
}

// run waits for the step's delay, then returns its failure, or nil when
// the request is to be handled normally.
func (st Step) run(ctx context.Context, now time.Time) *apiError {
	if st.delay > 0 {
		timer := time.NewTimer(st.delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
	}
	if st.failure == nil {
		return nil
	}
	return st.failure(now)
}

// Delay holds the request for d, then handles it normally.
func Delay(d time.Duration) Step {
	return Step{delay: d}
}

// RateLimited responds 429 for a per-route limit, with the retry_after body
// field and the Retry-After and X-RateLimit-* headers Discord sends.
func RateLimited(retryAfter time.Duration) Step {
	return Step{failure: func(now time.Time) *apiError { return rateLimitError(now, retryAfter, false) }}
}

// GlobalRateLimited responds 429 for the global limit: "global": true and
// X-RateLimit-Global, and no bucket headers.
func GlobalRateLimited(retryAfter time.Duration) Step {
	return Step{failure: func(now time.Time) *apiError { return rateLimitError(now, retryAfter, true) }}
}

// UnknownInteraction responds 404 with code 10062.
func UnknownInteraction() Step {
	return Step{failure: func(time.Time) *apiError { return errUnknownInteraction() }}
}

// AlreadyAcknowledged responds 400 with code 40060.
func AlreadyAcknowledged() Step {
	return Step{failure: func(time.Time) *apiError { return errAlreadyAcknowledged() }}
}

// ServerError responds with a 5xx status. A 500 carries Discord's JSON error
// body; 502, 503 and 504 carry an HTML page, as the proxy in front of
// Discord sends them.
func ServerError(status int) Step {
	return Step{failure: func(time.Time) *apiError {
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		e := newError(status, CodeGeneral, text)
		if status != http.StatusInternalServerError {
			e.contentType = "text/html"
			e.rawBody = []byte("<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text + "</h1></center>\r\n</body>\r\n</html>\r\n")
		} else {
			e.message = "500: Internal Server Error"
		}
		return e
	}}
}

// Fail responds with any status with Discord's error body {"message", "code"}.
func Fail(status, code int, message string) Step {
	return Step{failure: func(time.Time) *apiError { return newError(status, code, message) }}
}

func rateLimitError(now time.Time, retryAfter time.Duration, global bool) *apiError {
	seconds := retryAfter.Seconds()
	e := newError(http.StatusTooManyRequests, CodeGeneral, "You are being rate limited.")
	e.extra = map[string]any{"retry_after": seconds, "global": global}
	e.header = http.Header{}
	e.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(seconds))))
	if global {
		e.header.Set("X-RateLimit-Global", "true")
		e.header.Set("X-RateLimit-Scope", "global")
		return e
	}
	reset := float64(now.Add(retryAfter).UnixMilli()) / 1000
	e.header.Set("X-RateLimit-Limit", "5")
	e.header.Set("X-RateLimit-Remaining", "0")
	e.header.Set("X-RateLimit-Reset", strconv.FormatFloat(reset, 'f', 3, 64))
	e.header.Set("X-RateLimit-Reset-After", strconv.FormatFloat(seconds, 'f', 3, 64))
	e.header.Set("X-RateLimit-Bucket", randomHex(16))
	e.header.Set("X-RateLimit-Scope", "user")
	return e
}
