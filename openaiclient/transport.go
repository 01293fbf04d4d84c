package openaiclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// TransportError is a failed HTTP exchange: the server sent no response,
// or its body could not be read in full. Client methods return it inside
// an *Error. It is also what go-openai receives from the client's HTTP
// doer, so go-openai calls and adapter calls fail with the same type.
type TransportError struct {
	// RequestWritten reports whether the whole request reached the
	// connection before the failure, as seen by httptrace's WroteRequest
	// hook. When it is true the server may have acted on the request.
	RequestWritten bool
	// StatusCode is the response status when the failure came while
	// reading the body, and 0 when no response arrived.
	StatusCode int
	Err        error
}

func (e *TransportError) Error() string {
	switch {
	case e.StatusCode != 0:
		return fmt.Sprintf("read response body (status %d): %v", e.StatusCode, e.Err)
	case e.RequestWritten:
		return fmt.Sprintf("no response after the request was sent: %v", e.Err)
	default:
		return fmt.Sprintf("request not sent: %v", e.Err)
	}
}

func (e *TransportError) Unwrap() error { return e.Err }

// exchange records one attempt of one call: whether the doer was reached,
// whether the request was written, and the response. The retry loop puts a
// new one in the context of each attempt and reads it afterwards.
type exchange struct {
	attempted bool
	// written is set from the transport's write goroutine.
	written atomic.Bool
	status  int
	header  http.Header
	body    []byte
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	if ex == nil {
		ex = &exchange{}
	}
	return ex
}

// recordingDoer sends requests for go-openai and for the adapter. It notes
// in the attempt's exchange whether the request was written, reads the
// whole response body so that a connection dropped mid-body is a
// *TransportError and not a JSON error, and keeps the body for the fields
// that go-openai's types drop.
type recordingDoer struct {
	client       *http.Client
	maxBodyBytes int64
}

// Do implements go-openai's HTTPDoer.
func (d *recordingDoer) Do(req *http.Request) (*http.Response, error) {
	ex := exchangeFrom(req.Context())
	ex.attempted = true

	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				ex.written.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))

	// The transport waits for its write goroutine before it returns an
	// error, so ex.written is final here.
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, &TransportError{RequestWritten: ex.written.Load(), Err: err}
	}
	defer resp.Body.Close()

	body, err := readAtMost(resp.Body, d.maxBodyBytes)
	if err != nil {
		return nil, &TransportError{RequestWritten: true, StatusCode: resp.StatusCode, Err: err}
	}
	ex.status = resp.StatusCode
	ex.header = resp.Header
	ex.body = body

	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// readAtMost reads r to the end and fails when it holds more than limit bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("response body exceeds %d bytes", limit)
	}
	return body, nil
}
