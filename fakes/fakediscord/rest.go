package fakediscord

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// requestOverhead is how many bytes a request body may carry beyond its
// files (payload_json and multipart framing). The fake stops reading a
// larger body and responds 413.
const requestOverhead = 8 << 20

// call is one REST request on its way through a handler.
type call struct {
	r       *http.Request
	version int
	params  map[string]string
	query   url.Values
	body    []byte
	payload json.RawMessage
	files   []File
	now     time.Time
}

// serveREST responds to a REST request and records it.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Time:   s.now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: redactAuthorization(r.Header, s.opts.Token),
	}
	status, value, apiErr := s.handleREST(r, &rec)

	switch {
	case apiErr != nil:
		apiErr.write(w)
		rec.Status, rec.Code, rec.Error, rec.Response = apiErr.status, apiErr.code, apiErr.message, apiErr.body()
	case value == nil:
		w.WriteHeader(status)
		rec.Status = status
	default:
		rec.Status = status
		rec.Response = writeJSON(w, status, value)
	}
	rec.ResponseHeader = w.Header().Clone()
	s.record(rec)
}

// handleREST runs the steps every REST request goes through: route,
// authentication, scripted failures, body parsing, the Validate hook and
// the route's handler. It fills rec with what it learns on the way.
func (s *Server) handleREST(r *http.Request, rec *Request) (int, any, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxUploadBytes+requestOverhead))
	rec.Body = body
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return 0, nil, errTooLarge()
		}
		return 0, nil, newError(http.StatusBadRequest, CodeGeneral, "400: Bad Request")
	}

	version, path, ok := splitVersion(r.URL.Path)
	if !ok {
		return 0, nil, errRouteNotFound()
	}
	rt, params, pathExists := matchRoute(s.routes, r.Method, path)
	if rt == nil {
		if pathExists {
			return 0, nil, errMethodNotAllowed()
		}
		return 0, nil, errRouteNotFound()
	}
	rec.Route, rec.Params = rt.key, params

	if rt.botAuth && r.Header.Get("Authorization") != "Bot "+s.opts.Token {
		return 0, nil, errUnauthorized()
	}

	if step, ok := s.nextStep(rt.key); ok {
		if failure := step.run(r.Context(), s.now()); failure != nil {
			return 0, nil, failure
		}
	}

	c := &call{r: r, version: version, params: params, query: r.URL.Query(), body: body, now: s.now()}
	if apiErr := s.parseBody(c); apiErr != nil {
		rec.JSON, rec.Files = c.payload, c.files
		return 0, nil, apiErr
	}
	rec.JSON, rec.Files = c.payload, c.files

	if s.opts.Validate != nil {
		check := r.Clone(r.Context())
		check.Body = io.NopCloser(bytes.NewReader(body))
		if err := s.opts.Validate(check, body); err != nil {
			return 0, nil, errSpecViolation(err)
		}
	}

	return rt.handle(s, c)
}

// redactAuthorization copies a request's headers with the bot token
// replaced, so that a recorded request never contains the secret. A
// header with another token is kept, which shows what the bot sent.
func redactAuthorization(header http.Header, token string) http.Header {
	out := header.Clone()
	if out.Get("Authorization") == "Bot "+token {
		out.Set("Authorization", "Bot [redacted]")
	}
	return out
}

// errSpecViolation turns a Validate error into the response Discord
// gives for an invalid body.
func errSpecViolation(err error) *apiError {
	return errInvalidForm([]fieldError{{code: "SPEC_VALIDATION_FAILED", message: err.Error()}})
}

// filePartName matches the form field names Discord takes files from.
var filePartName = regexp.MustCompile(`^files\[(\d+)\]$`)

// parseBody reads a JSON or multipart body into c.payload and c.files.
//
// NOTE: Discord also takes application/x-www-form-urlencoded bodies and
// plain form fields beside payload_json. The fake rejects both, because
// discordgo v0.28.1 sends neither and such a body is more likely a bug.
func (s *Server) parseBody(c *call) *apiError {
	contentType := c.r.Header.Get("Content-Type")
	if len(c.body) == 0 && contentType == "" {
		return nil
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return errInvalidForm([]fieldError{{code: "CONTENT_TYPE_INVALID", message: fmt.Sprintf("Content-Type %q is not a valid media type.", contentType)}})
	}

	switch mediaType {
	case "application/json", "":
		if !json.Valid(c.body) {
			return errInvalidJSON()
		}
		c.payload = json.RawMessage(c.body)
		return nil
	case "multipart/form-data":
		return s.parseMultipart(c, params["boundary"])
	default:
		return errInvalidForm([]fieldError{{code: "CONTENT_TYPE_INVALID", message: fmt.Sprintf("Content-Type %q is not supported; send application/json or multipart/form-data.", mediaType)}})
	}
}

func (s *Server) parseMultipart(c *call, boundary string) *apiError {
	if boundary == "" {
		return errInvalidForm([]fieldError{{code: "CONTENT_TYPE_INVALID", message: "multipart/form-data needs a boundary parameter."}})
	}
	reader := multipart.NewReader(bytes.NewReader(c.body), boundary)
	var total int64
	seen := map[string]bool{}
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errInvalidForm([]fieldError{{code: "MULTIPART_INVALID", message: "The multipart body is malformed: " + err.Error()}})
		}
		name := part.FormName()
		data, err := io.ReadAll(part)
		if err != nil {
			return errInvalidForm([]fieldError{{code: "MULTIPART_INVALID", message: "The multipart body is malformed: " + err.Error()}})
		}
		if seen[name] {
			return errInvalidForm([]fieldError{{path: []string{name}, code: "DUPLICATE_FIELD", message: "The form field appears more than once."}})
		}
		seen[name] = true

		switch {
		case name == "payload_json":
			if !json.Valid(data) {
				return errInvalidJSON()
			}
			c.payload = json.RawMessage(data)
		case filePartName.MatchString(name):
			if part.FileName() == "" {
				return errInvalidForm([]fieldError{{path: []string{name}, code: "BASE_TYPE_REQUIRED", message: "A file part needs a filename in its Content-Disposition."}})
			}
			total += int64(len(data))
			c.files = append(c.files, File{Field: name, Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		default:
			return errInvalidForm([]fieldError{{path: []string{name}, code: "UNKNOWN_FIELD", message: "The fake takes only payload_json and files[n] parts."}})
		}
	}
	if total > s.opts.MaxUploadBytes {
		return errTooLarge()
	}
	return nil
}
