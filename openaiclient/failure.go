package openaiclient

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Failure is the kind of a failed OpenAI call. The metering layer releases
// the charge for every kind except FailureUnknownOutcome, so the kinds
// separate calls OpenAI surely did not bill from calls it may have billed.
type Failure int

const (
	// FailureNone is the kind of a nil error.
	FailureNone Failure = iota
	// FailureModeration is a request refused by OpenAI's content policy
	// (moderation_blocked, content_policy_violation, or Azure's content filter).
	FailureModeration
	// FailureQuota is a 429 insufficient_quota, or another billing-limit
	// code: the operator's account has no credit left.
	FailureQuota
	// FailureRateLimited is any other 429. The client retries it.
	FailureRateLimited
	// FailureServer is a 5xx response, whatever its body. The client retries it.
	FailureServer
	// FailureBadRequest is a 4xx response not covered by another kind.
	FailureBadRequest
	// FailureAuth is a 401 or 403 response: a wrong key or a forbidden resource.
	FailureAuth
	// FailureNotSent is a request that never fully left: a dial error, a
	// refused connection, or a context that ended before the request was
	// written.
	FailureNotSent
	// FailureUnknownOutcome is a call OpenAI may have carried out and billed:
	// a timeout or dropped connection after the request was written, a
	// success response that could not be read or decoded, or an image URL
	// that could not be downloaded.
	FailureUnknownOutcome
	// FailureInvalidInput is a request the client rejected before sending
	// it, because an argument was invalid.
	FailureInvalidInput
)

var failureNames = map[Failure]string{
	FailureNone:           "none",
	FailureModeration:     "moderation",
	FailureQuota:          "quota",
	FailureRateLimited:    "rate_limited",
	FailureServer:         "server",
	FailureBadRequest:     "bad_request",
	FailureAuth:           "auth",
	FailureNotSent:        "not_sent",
	FailureUnknownOutcome: "unknown_outcome",
	FailureInvalidInput:   "invalid_input",
}

// String returns the kind's name in snake case, for logs.
func (f Failure) String() string {
	if name, ok := failureNames[f]; ok {
		return name
	}
	return fmt.Sprintf("Failure(%d)", int(f))
}

func (f Failure) retryable() bool {
	return f == FailureRateLimited || f == FailureServer
}

// Error is the error every Client method returns. Err is the cause: an
// *openai.APIError or *openai.RequestError for an error response, a
// *TransportError for a failed exchange, or a plain error for invalid input
// and undecodable responses.
type Error struct {
	// Operation is the HTTP method and path, such as "POST /images/generations".
	Operation string
	Failure   Failure
	// Attempts is the number of requests sent, or 0 when none was tried.
	Attempts int
	// RequestID is the x-request-id header of the last response, if any.
	RequestID string
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openai %s: %s", e.Operation, e.Failure)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Classify returns the kind of err. It reads the Failure of an *Error and
// otherwise inspects *openai.APIError, *openai.RequestError and
// *TransportError in err's chain. Any other non-nil error is
// FailureUnknownOutcome, because a wrong "not billed" would lose a charge.
func Classify(err error) Failure {
	if err == nil {
		return FailureNone
	}
	var clientErr *Error
	if errors.As(err, &clientErr) {
		return clientErr.Failure
	}
	if failure, ok := classifyCause(err); ok {
		return failure
	}
	return FailureUnknownOutcome
}

// classifyCause classifies the error types that carry enough to decide.
func classifyCause(err error) (Failure, bool) {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return classifyAPIError(apiErr), true
	}
	var requestErr *openai.RequestError
	if errors.As(err, &requestErr) {
		return classifyStatus(requestErr.HTTPStatusCode), true
	}
	var transportErr *TransportError
	if errors.As(err, &transportErr) {
		if transportErr.RequestWritten {
			return FailureUnknownOutcome, true
		}
		return FailureNotSent, true
	}
	return FailureNone, false
}

// moderationCodes are the error codes and types of a content-policy refusal.
var moderationCodes = map[string]bool{
	"moderation_blocked":       true,
	"content_policy_violation": true,
	"content_filter":           true,
}

// quotaCodes are the error codes and types of an account out of credit.
var quotaCodes = map[string]bool{
	"insufficient_quota":          true,
	"billing_hard_limit_reached":  true,
	"billing_not_active":          true,
	"account_deactivated_billing": true,
}

func classifyAPIError(apiErr *openai.APIError) Failure {
	code, _ := apiErr.Code.(string)
	status := apiErr.HTTPStatusCode
	if status >= 400 && status < 500 {
		switch {
		case moderationCodes[code] || moderationCodes[apiErr.Type]:
			return FailureModeration
		case apiErr.InnerError != nil && apiErr.InnerError.Code == "ResponsibleAIPolicyViolation":
			return FailureModeration
		case quotaCodes[code] || quotaCodes[apiErr.Type]:
			return FailureQuota
		}
	}
	return classifyStatus(status)
}

func classifyStatus(status int) Failure {
	switch {
	case status == http.StatusTooManyRequests:
		return FailureRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return FailureAuth
	case status >= 500:
		return FailureServer
	case status >= 400:
		return FailureBadRequest
	default:
		// go-openai also reports 1xx responses as errors. They are not a
		// result the server could have billed for, but nothing proves it.
		return FailureUnknownOutcome
	}
}

// redactKey removes the API key from the messages of err's chain, in case
// a server echoes it back.
func redactKey(err error, key string) {
	if key == "" {
		return
	}
	const mask = "[redacted]"
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		apiErr.Message = strings.ReplaceAll(apiErr.Message, key, mask)
	}
	var requestErr *openai.RequestError
	if errors.As(err, &requestErr) {
		requestErr.Body = bytes.ReplaceAll(requestErr.Body, []byte(key), []byte(mask))
	}
}
