package imageinput

import (
	"errors"
	"fmt"
)

// Kinds of Rejection, for errors.Is.
var (
	// ErrHostNotAllowed is a URL whose host is not on the allow-list, or
	// that is not an http or https URL.
	ErrHostNotAllowed = errors.New("attachment host not allowed")
	// ErrTooLarge is a file above the byte limit, declared or read.
	ErrTooLarge = errors.New("image too large")
	// ErrTooManyPixels is an image whose header declares more pixels than
	// the limit.
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrNotImage is a file that is not an image in a supported format, or
	// whose image data cannot be read.
	ErrNotImage = errors.New("not a supported image")
	// ErrUnavailable is an attachment the host no longer serves, or one
	// that could not be downloaded.
	ErrUnavailable = errors.New("attachment unavailable")
)

// Rejection is an image that cannot be used. Reason is written for the
// member who sent it. It states what is wrong and what to do, and contains
// no internal detail. Cause, when set, is the underlying error for the log.
type Rejection struct {
	Kind   error
	Reason string
	Cause  error
}

func (r *Rejection) Error() string {
	if r.Cause != nil {
		return fmt.Sprintf("%v: %s: %v", r.Kind, r.Reason, r.Cause)
	}
	return fmt.Sprintf("%v: %s", r.Kind, r.Reason)
}

// Unwrap returns the kind, so that errors.Is matches it.
func (r *Rejection) Unwrap() error { return r.Kind }

func reject(kind error, format string, args ...any) *Rejection {
	return &Rejection{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// AsRejection returns the *Rejection in err's chain, if there is one.
func AsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}

// megabytes formats a byte count in decimal megabytes for a member.
func megabytes(n int64) string {
	if n < 10_000_000 {
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
}
