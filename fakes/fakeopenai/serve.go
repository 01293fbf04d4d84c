package fakeopenai

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serve runs one request through the pipeline every endpoint shares: read
// and record the body, check the key, validate against the OpenAPI
// document, run the endpoint, and write the reply.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, validate bool, ep endpoint) {
	requestID := newRequestID()
	w.Header().Set("X-Request-Id", requestID)

	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	record := &Request{
		Time:      time.Now(),
		RequestID: requestID,
		Method:    r.Method,
		Path:      r.URL.Path,
		Header:    r.Header.Clone(),
		Body:      body,
	}
	x := &exchange{r: r, w: w, record: record, server: s}
	if readErr == nil {
		x.formErr = parseBody(record)
	}
	s.begin(record)

	var status int
	var dropped, canceled bool
	defer func() {
		s.end(record, status, dropped, canceled)
		s.logger.Debug("fake OpenAI request", "method", r.Method, "path", r.URL.Path,
			"status", status, "dropped", dropped, "canceled", canceled, "request_id", requestID)
	}()

	// Read the body.
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge):
		status = s.write(w, r, false, errorReply(http.StatusRequestEntityTooLarge, APIError{
			Message: "The request body is larger than the fake's limit of " + strconv.Itoa(maxBodyBytes) + " bytes.",
			Type:    typeInvalidRequest,
		}))
		return
	case readErr != nil:
		canceled = true
		return
	}

	// Check the key.
	if rep, ok := s.checkKey(r); !ok {
		status = s.write(w, r, false, rep)
		return
	}

	// Validate against the OpenAPI document.
	validate = validate && s.opts.Validator != nil
	if validate {
		if err := s.opts.Validator.ValidateRequest(r, body); err != nil {
			s.logger.Warn("request does not match the OpenAPI document", "method", r.Method,
				"path", r.URL.Path, "request_id", requestID, "error", err)
			status = s.write(w, r, false, errorReply(http.StatusBadRequest, APIError{
				Message: err.Error(),
				Type:    typeInvalidRequest,
				Code:    "spec_validation_failed",
			}))
			return
		}
	}

	// Run the endpoint, which applies a scripted step once its own checks
	// pass. A scripted reply is not validated, because OpenAI's document
	// describes no error responses.
	rep := ep(x)
	if x.dropped || x.canceled {
		dropped, canceled = x.dropped, x.canceled
		return
	}
	status = s.write(w, r, validate && !x.stepReplied, rep)
}

// scripted applies the next step scripted for the request's path, if any.
// Endpoints call it after their own checks pass and before they produce a
// result. It returns true when the step decides the outcome: the reply to
// send, or a dropped or canceled request, which the endpoint then returns
// as it is.
func (x *exchange) scripted() (reply, bool) {
	step, ok := x.server.nextStep(x.r.URL.Path)
	if !ok {
		// Without a script, a request takes the server's usual latency.
		step, ok = Step{Delay: x.server.opts.Latency}, x.server.opts.Latency > 0
	}
	if !ok {
		return reply{}, false
	}
	if step.Delay > 0 {
		timer := time.NewTimer(step.Delay)
		select {
		case <-x.r.Context().Done():
			timer.Stop()
			x.canceled = true
			return reply{}, true
		case <-timer.C:
		}
	}
	if step.Drop {
		x.dropped = true
		dropConnection(x.w)
		return reply{}, true
	}
	if step.Status != 0 {
		x.stepReplied = true
		return stepReply(step), true
	}
	return reply{}, false
}

// checkKey returns a 401 reply unless r carries the expected bearer key.
func (s *Server) checkKey(r *http.Request) (reply, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return errorReply(http.StatusUnauthorized, APIError{
			Message: "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.",
			Type:    typeInvalidRequest,
			Code:    "invalid_api_key",
		}), false
	}
	if s.opts.APIKey != "" && token != s.opts.APIKey {
		return errorReply(http.StatusUnauthorized, APIError{
			Message: "Incorrect API key provided.",
			Type:    typeInvalidRequest,
			Code:    "invalid_api_key",
		}), false
	}
	return reply{}, true
}

// write encodes rep and sends it, returning the status sent. When validate
// is set, a 2xx reply is checked against the OpenAPI document first and
// replaced by a 500 if it does not match.
func (s *Server) write(w http.ResponseWriter, r *http.Request, validate bool, rep reply) int {
	body, contentType := rep.raw, rep.contentType
	if body == nil {
		encoded, err := json.Marshal(rep.value)
		if err != nil {
			s.logger.Error("encode fake OpenAI reply", "path", r.URL.Path, "error", err)
			rep = errorReply(http.StatusInternalServerError, APIError{Message: "encode reply: " + err.Error(), Type: typeServer})
			encoded, _ = json.Marshal(rep.value)
		}
		body, contentType = encoded, "application/json"
	}

	if validate && rep.status >= 200 && rep.status < 300 {
		header := http.Header{"Content-Type": {contentType}}
		if err := s.opts.Validator.ValidateResponse(r, rep.status, header, body); err != nil {
			s.logger.Error("fake OpenAI reply does not match the OpenAPI document", "path", r.URL.Path, "error", err)
			rep = errorReply(http.StatusInternalServerError, APIError{
				Message: "The fake's own response failed validation: " + err.Error(),
				Type:    typeServer,
				Code:    "fake_response_invalid",
			})
			body, _ = json.Marshal(rep.value)
			contentType = "application/json"
		}
	}

	for name, values := range rep.header {
		w.Header()[name] = values
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rep.status)
	_, _ = w.Write(body) // The client may have gone; nothing is left to do then.
	return rep.status
}

// dropConnection closes the client's connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Without a hijackable connection, abort the handler, which makes
		// net/http close the connection without a response.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// parseBody fills record's JSON or multipart fields from its body. It
// returns the error from reading a multipart body. A JSON body that does not
// parse leaves record.JSON nil, and the endpoint reports it.
func parseBody(record *Request) error {
	mediaType, params, err := mime.ParseMediaType(record.Header.Get("Content-Type"))
	if err != nil {
		return nil
	}
	switch mediaType {
	case "application/json":
		var decoded map[string]any
		if json.Unmarshal(record.Body, &decoded) == nil {
			record.JSON = decoded
		}
		return nil
	case "multipart/form-data":
		return parseMultipart(record, params["boundary"])
	}
	return nil
}

func parseMultipart(record *Request, boundary string) error {
	if boundary == "" {
		return errors.New("multipart boundary is missing from the Content-Type header")
	}
	record.Fields = make(map[string][]string)
	reader := multipart.NewReader(bytes.NewReader(record.Body), boundary)
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		_ = part.Close()
		if err != nil {
			return err
		}
		if part.FileName() != "" {
			record.Files = append(record.Files, File{
				Field:       part.FormName(),
				Filename:    part.FileName(),
				ContentType: part.Header.Get("Content-Type"),
				Data:        data,
			})
			continue
		}
		record.Fields[part.FormName()] = append(record.Fields[part.FormName()], string(data))
	}
}
