package spec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	validator "github.com/pb33f/libopenapi-validator"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
)

// Validator checks requests and responses against one OpenAPI document.
// It is safe for concurrent use: libopenapi-validator v0.16.3 keeps its
// compiled schemas in sync.Map caches and its router is immutable, and the
// package's race test exercises both validators from many goroutines.
type Validator struct {
	name    string
	checker validator.Validator
	// rewrite, when set, maps a request path to the path the document
	// describes.
	rewrite func(string) string
	// payloadJSON makes ValidateRequest check a multipart body's
	// payload_json part as the JSON body, as Discord reads it.
	payloadJSON bool
	// trimBrackets makes ValidateRequest validate multipart parts named
	// "name[]" as "name".
	trimBrackets bool
}

// Error lists every way one request or response differs from the document.
type Error struct {
	// Document is the file name of the OpenAPI document, such as
	// openai-tally.yaml.
	Document string
	// Method and Path identify the request, with the path as received.
	Method string
	Path   string
	// Status is the response status, or 0 when the failures are in the
	// request.
	Status   int
	Failures []Failure
}

// Failure is one violation found by the validator.
type Failure struct {
	// Message is the validator's summary, such as "POST request body for
	// '/images/generations' failed to validate schema".
	Message string
	// Reason is the detail, such as a schema rule that the value breaks.
	Reason string
	// Field is the JSONPath of the offending value ("$.n") or the name of
	// the offending parameter. It is empty when no single field is at fault.
	Field string
}

// Error formats every failure on its own line, under its message when
// several failures share one.
func (e *Error) Error() string {
	var b strings.Builder
	subject := "request"
	if e.Status != 0 {
		subject = fmt.Sprintf("response %d", e.Status)
	}
	fmt.Fprintf(&b, "%s %s %s does not match %s (%d failures):", e.Method, e.Path, subject, e.Document, len(e.Failures))

	lastMessage := ""
	for _, f := range e.Failures {
		detail := f.Reason
		if detail == f.Message {
			detail = ""
		}
		if f.Field != "" && detail != "" {
			detail = f.Field + ": " + detail
		} else if f.Field != "" {
			detail = "at " + f.Field
		}

		if f.Message != lastMessage || detail == "" {
			b.WriteString("\n")
			b.WriteString(f.Message)
			lastMessage = f.Message
		}
		if detail != "" {
			b.WriteString("\n  - ")
			b.WriteString(detail)
		}
	}
	return b.String()
}

// ValidateRequest checks r, whose body is given separately as body, against
// the document: path, method, parameters, security and body. It never reads
// r.Body. The error is an *Error listing every failure.
//
// For OpenAI, multipart parts named "name[]" are checked as "name". For
// Discord, a multipart body with a payload_json part is checked as that
// JSON body, and any part other than payload_json and files[n] is a failure.
func (v *Validator) ValidateRequest(r *http.Request, body []byte) error {
	var extra []Failure
	contentType := ""
	if v.trimBrackets {
		trimmed, ok, err := trimArrayBrackets(r.Header, body)
		if err != nil {
			return v.newError(r, 0, nil, []Failure{{Message: "invalid multipart body", Reason: err.Error()}})
		}
		if ok {
			body = trimmed
		}
	}
	if v.payloadJSON {
		payload, failures, ok, err := unwrapPayloadJSON(r.Header, body)
		if err != nil {
			return v.newError(r, 0, nil, []Failure{{Message: "invalid multipart body", Reason: err.Error()}})
		}
		if ok {
			body, extra, contentType = payload, failures, "application/json"
		}
	}

	request := v.copyRequest(r, body)
	if contentType != "" {
		request.Header.Set("Content-Type", contentType)
	}
	ok, errs := v.checker.ValidateHttpRequestSync(request)
	if !ok || len(extra) > 0 {
		return v.newError(r, 0, errs, extra)
	}
	return nil
}

// ValidateResponse checks a response to r with the given status, header and
// body against the document. An undocumented status is a failure. It never
// reads r.Body. The error is an *Error listing every failure.
func (v *Validator) ValidateResponse(r *http.Request, status int, header http.Header, body []byte) error {
	request := v.copyRequest(r, nil)
	response := &http.Response{
		StatusCode:    status,
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:        header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       request,
	}
	if response.Header == nil {
		response.Header = http.Header{}
	}
	if ok, errs := v.checker.ValidateHttpResponse(request, response); !ok {
		return v.newError(r, status, errs, nil)
	}
	return nil
}

// copyRequest returns a shallow copy of r with its own body reader over body
// and the path mapped to the document's version.
func (v *Validator) copyRequest(r *http.Request, body []byte) *http.Request {
	request := r.Clone(r.Context())
	request.Body = io.NopCloser(bytes.NewReader(body))
	request.ContentLength = int64(len(body))
	request.GetBody = nil
	if v.rewrite != nil {
		request.URL.Path = v.rewrite(request.URL.Path)
		if request.URL.RawPath != "" {
			request.URL.RawPath = v.rewrite(request.URL.RawPath)
		}
	}
	return request
}

// newError converts the validator's errors, followed by extra failures found
// outside it, into an *Error.
func (v *Validator) newError(r *http.Request, status int, errs []*valerrors.ValidationError, extra []Failure) *Error {
	e := &Error{Document: v.name, Method: r.Method, Path: r.URL.Path, Status: status}
	for _, ve := range errs {
		if len(ve.SchemaValidationErrors) == 0 {
			e.Failures = append(e.Failures, Failure{Message: ve.Message, Reason: ve.Reason, Field: ve.ParameterName})
			continue
		}
		for _, se := range ve.SchemaValidationErrors {
			field := se.FieldPath
			if field == "" {
				field = ve.ParameterName
			}
			e.Failures = append(e.Failures, Failure{Message: ve.Message, Reason: se.Reason, Field: field})
		}
	}
	e.Failures = append(e.Failures, extra...)
	if len(e.Failures) == 0 {
		e.Failures = []Failure{{Message: "validation failed without details"}}
	}
	return e
}
