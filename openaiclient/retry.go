package openaiclient

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// callRecord is the retry loop's account of a call: the number of
// requests sent and the last response.
type callRecord struct {
	attempts  int
	requestID string
	header    http.Header
	body      []byte
}

// run sends one call through send, retrying rate limits and server errors
// with backoff until MaxRetries, and returns every failure as an *Error.
// send must build a new request on each call and pass ctx to it, so that
// the recording doer finds the attempt's exchange.
func (c *Client) run(ctx context.Context, operation string, send func(ctx context.Context) error) (callRecord, error) {
	var record callRecord
	for retry := 0; ; retry++ {
		ex := &exchange{}
		err := send(withExchange(ctx, ex))
		if ex.attempted {
			record.attempts++
		}
		if ex.header != nil {
			record.header = ex.header
			record.requestID = ex.header.Get("x-request-id")
		}
		record.body = ex.body
		if err == nil {
			return record, nil
		}

		redactKey(err, c.apiKey)
		failure := classifyAttempt(err, ex)
		callErr := &Error{
			Operation: operation,
			Failure:   failure,
			Attempts:  record.attempts,
			RequestID: record.requestID,
			Err:       err,
		}
		if !failure.retryable() || retry >= c.maxRetries {
			return record, callErr
		}

		delay := c.retryDelay(retry, ex.header)
		if deadline, ok := ctx.Deadline(); ok && !c.now().Add(delay).Before(deadline) {
			return record, callErr
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "openai request failed, retrying",
			slog.String("operation", operation),
			slog.String("failure", failure.String()),
			slog.Int("attempt", record.attempts),
			slog.Duration("delay", delay),
			slog.String("request_id", record.requestID),
			slog.String("error", err.Error()),
		)
		if err := c.sleep(ctx, delay); err != nil {
			return record, callErr
		}
	}
}

// classifyAttempt classifies the error of one attempt, using what the
// exchange saw when the error itself does not tell.
func classifyAttempt(err error, ex *exchange) Failure {
	if failure, ok := classifyCause(err); ok {
		return failure
	}
	if !ex.attempted {
		// The request could not be built, so nothing was sent.
		return FailureNotSent
	}
	// A response arrived but could not be decoded. go-openai turns every
	// error status into an APIError or RequestError, so this was a success
	// that OpenAI may have billed.
	return FailureUnknownOutcome
}

// retryDelay returns the wait before retry number retry+1: the server's
// retry-after-ms or retry-after header when present, otherwise exponential
// backoff from BaseRetryDelay with jitter, capped at MaxRetryDelay.
func (c *Client) retryDelay(retry int, header http.Header) time.Duration {
	if hint, ok := c.retryAfter(header); ok {
		return min(hint, c.maxRetryDelay)
	}
	delay := c.maxRetryDelay
	if retry < 30 {
		delay = min(c.baseRetryDelay<<retry, c.maxRetryDelay)
	}
	// Jitter spreads retries of concurrent calls over [delay/2, delay].
	half := delay / 2
	return half + rand.N(delay-half+1)
}

// retryAfter reads OpenAI's retry-after-ms header (milliseconds, may be
// fractional) or the standard retry-after header (seconds or an HTTP date).
func (c *Client) retryAfter(header http.Header) (time.Duration, bool) {
	if header == nil {
		return 0, false
	}
	if value := strings.TrimSpace(header.Get("retry-after-ms")); value != "" {
		ms, err := strconv.ParseFloat(value, 64)
		if err == nil && ms >= 0 {
			return c.clampDelay(ms * float64(time.Millisecond)), true
		}
	}
	value := strings.TrimSpace(header.Get("retry-after"))
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil && seconds >= 0 {
		return c.clampDelay(seconds * float64(time.Second)), true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(c.now()), 0), true
	}
	return 0, false
}

// clampDelay converts nanoseconds to a Duration no longer than
// MaxRetryDelay, before a huge header value could overflow the conversion.
func (c *Client) clampDelay(nanoseconds float64) time.Duration {
	if nanoseconds >= float64(c.maxRetryDelay) {
		return c.maxRetryDelay
	}
	return time.Duration(nanoseconds)
}
