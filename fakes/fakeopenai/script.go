package fakeopenai

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Step is one scripted behaviour for one request. The zero Step keeps the
// usual response. Delay applies first. Then Drop closes the connection, or
// a non-zero Status sends Error (or Body when Body is set) with that
// status, or the endpoint's usual behaviour runs.
type Step struct {
	// Delay holds the response back. When the client gives up first,
	// nothing is written and the request is recorded as canceled.
	Delay time.Duration
	// Drop closes the connection without a response, after the request was
	// read in full.
	Drop bool
	// Status is the HTTP status to send instead of the usual
	// behaviour. Zero keeps the usual behaviour.
	Status int
	// Error is the OpenAI error body sent with Status when Body is nil.
	Error APIError
	// Body and ContentType replace the JSON error body, for responses that are
	// not JSON, such as a proxy's HTML error page.
	Body        []byte
	ContentType string
	// Header lists extra response headers, such as retry-after.
	Header http.Header
}

// After returns a copy of s that waits d before it acts.
func (s Step) After(d time.Duration) Step {
	s.Delay = d
	return s
}

// Delay returns a step that waits d and then responds as usual.
func Delay(d time.Duration) Step {
	return Step{Delay: d}
}

// Fail returns a step that responds with status and an OpenAI error body.
func Fail(status int, errorType, code, message string) Step {
	return Step{Status: status, Error: APIError{Message: message, Type: errorType, Code: code}}
}

// ModerationBlocked returns the 400 that OpenAI's image endpoints send when
// the safety system rejects a prompt or an image: type
// image_generation_user_error, code moderation_blocked.
func ModerationBlocked() Step {
	return Fail(http.StatusBadRequest, "image_generation_user_error", "moderation_blocked",
		"Your request was rejected by the safety system. If you believe this is an error, contact support "+
			"and include the request ID. safety_violations=[violence].")
}

// RateLimited returns a 429 rate_limit_exceeded, with the retry-after (whole
// seconds, rounded up), retry-after-ms and x-ratelimit-* headers that OpenAI
// sends with it, all set from retryAfter.
func RateLimited(retryAfter time.Duration) Step {
	seconds := int(math.Ceil(retryAfter.Seconds()))
	step := Fail(http.StatusTooManyRequests, "requests", "rate_limit_exceeded",
		fmt.Sprintf("Rate limit reached for requests per min (RPM): Limit 5, Used 5, Requested 1. "+
			"Please try again in %s.", retryAfter))
	step.Header = http.Header{
		"Retry-After":                    {strconv.Itoa(seconds)},
		"Retry-After-Ms":                 {strconv.FormatInt(retryAfter.Milliseconds(), 10)},
		"X-Ratelimit-Limit-Requests":     {"5"},
		"X-Ratelimit-Remaining-Requests": {"0"},
		"X-Ratelimit-Reset-Requests":     {retryAfter.String()},
	}
	return step
}

// InsufficientQuota returns the 429 OpenAI sends when the account has run
// out of credit. Its type and code are both insufficient_quota, and
// retrying does not help.
func InsufficientQuota() Step {
	return Fail(http.StatusTooManyRequests, "insufficient_quota", "insufficient_quota",
		"You exceeded your current quota, please check your plan and billing details.")
}

// ServerErrorHTML returns a step that responds with status and an HTML page, as
// a proxy in front of OpenAI does when the service is down.
func ServerErrorHTML(status int) Step {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	page := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>fake proxy</center>\r\n</body>\r\n</html>\r\n"
	return Step{Status: status, Body: []byte(page), ContentType: "text/html"}
}

// DropConnection returns a step that reads the whole request and then
// closes the connection without a response.
func DropConnection() Step {
	return Step{Drop: true}
}

// Script queues steps for the next requests to path, such as
// "/v1/images/generations", one step per request, in order. Only requests
// that pass every check take a step: the key, the OpenAPI validation and
// the endpoint's own checks, so a rejected request leaves the queue as it
// is. When the queue is empty the endpoint responds as usual again. Script
// adds to any steps still queued for path.
func (s *Server) Script(path string, steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[path] = append(s.scripts[path], steps...)
}

// nextStep removes and returns the first step queued for path.
func (s *Server) nextStep(path string) (Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	queue := s.scripts[path]
	if len(queue) == 0 {
		return Step{}, false
	}
	s.scripts[path] = queue[1:]
	return queue[0], true
}

// stepReply converts a step's status and body into a reply.
func stepReply(step Step) reply {
	r := reply{status: step.Status, header: step.Header}
	if step.Body != nil {
		r.raw, r.contentType = step.Body, step.ContentType
		return r
	}
	r.value = step.Error.body()
	return r
}
