package commands

import (
	"errors"
	"fmt"
)

// UserError is an error whose message is meant for the member: short,
// specific, and free of internal details.
type UserError struct {
	Message string
}

func (e *UserError) Error() string { return e.Message }

// Userf returns a *UserError with a formatted message.
func Userf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// ErrAnswered is returned by a handler step that has already shown the
// member the outcome, so the error handler must show nothing more.
var ErrAnswered = errors.New("member already answered")

// InternalMessage is what a member sees when something failed on Tally's
// side; the error itself is logged.
const InternalMessage = "Something went wrong on Tally's side, and it has been logged. Please try again in a minute."
