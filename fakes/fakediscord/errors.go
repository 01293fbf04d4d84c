package fakediscord

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Discord's JSON error codes that the fake returns.
const (
	CodeGeneral              = 0
	CodeUnknownChannel       = 10003
	CodeUnknownMessage       = 10008
	CodeUnknownWebhook       = 10015
	CodeUnknownInteraction   = 10062
	CodeRequestTooLarge      = 40005
	CodeAlreadyAcknowledged  = 40060
	CodeMissingAccess        = 50001
	CodeEmptyMessage         = 50006
	CodeWrongChannelType     = 50024
	CodeInvalidWebhookToken  = 50027
	CodeInvalidFormBody      = 50035
	CodeInvalidJSON          = 50109
	CodeThreadAlreadyCreated = 160004
)

// apiError is an error response in Discord's shape:
// {"message": ..., "code": ..., "errors": ...}.
type apiError struct {
	status  int
	code    int
	message string
	fields  []fieldError
	header  http.Header
	// extra holds more top-level JSON keys, such as retry_after.
	extra map[string]any
	// rawBody, when set, replaces the JSON body, as the HTML page of the
	// proxy in front of Discord replaces it on some 5xx responses.
	rawBody     []byte
	contentType string
}

func (e *apiError) Error() string {
	return strconv.Itoa(e.status) + " " + e.message + " (code " + strconv.Itoa(e.code) + ")"
}

// fieldError is one entry of a 50035 response: the JSON path of the
// invalid field, Discord's error code word and a message.
type fieldError struct {
	path    []string
	code    string
	message string
}

func newError(status, code int, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func errUnauthorized() *apiError {
	return newError(http.StatusUnauthorized, CodeGeneral, "401: Unauthorized")
}

func errRouteNotFound() *apiError {
	return newError(http.StatusNotFound, CodeGeneral, "404: Not Found")
}

func errMethodNotAllowed() *apiError {
	return newError(http.StatusMethodNotAllowed, CodeGeneral, "405: Method Not Allowed")
}

func errUnknownInteraction() *apiError {
	return newError(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
}

func errAlreadyAcknowledged() *apiError {
	return newError(http.StatusBadRequest, CodeAlreadyAcknowledged, "Interaction has already been acknowledged.")
}

func errUnknownWebhook() *apiError {
	return newError(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook")
}

func errInvalidWebhookToken() *apiError {
	return newError(http.StatusUnauthorized, CodeInvalidWebhookToken, "Invalid Webhook Token")
}

func errUnknownMessage() *apiError {
	return newError(http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
}

func errUnknownChannel() *apiError {
	return newError(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
}

func errMissingAccess() *apiError {
	return newError(http.StatusForbidden, CodeMissingAccess, "Missing Access")
}

func errEmptyMessage() *apiError {
	return newError(http.StatusBadRequest, CodeEmptyMessage, "Cannot send an empty message")
}

func errTooLarge() *apiError {
	return newError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "Request entity too large")
}

func errInvalidJSON() *apiError {
	return newError(http.StatusBadRequest, CodeInvalidJSON, "The request body contains invalid JSON.")
}

func errWrongChannelType() *apiError {
	return newError(http.StatusBadRequest, CodeWrongChannelType, "Cannot execute action on this channel type")
}

func errThreadAlreadyCreated() *apiError {
	return newError(http.StatusBadRequest, CodeThreadAlreadyCreated, "A thread has already been created for this message")
}

// errInvalidForm returns a 400/50035 error with the given field errors, or nil
// when there are none.
func errInvalidForm(fields []fieldError) *apiError {
	if len(fields) == 0 {
		return nil
	}
	e := newError(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body")
	e.fields = fields
	return e
}

// body renders the JSON body of the error.
func (e *apiError) body() []byte {
	if e.rawBody != nil {
		return e.rawBody
	}
	out := map[string]any{"message": e.message, "code": e.code}
	for k, v := range e.extra {
		out[k] = v
	}
	if len(e.fields) > 0 {
		out["errors"] = errorTree(e.fields)
	}
	b, _ := json.Marshal(out)
	return b
}

// errorTree nests field errors the way Discord does:
// {"embeds": {"0": {"description": {"_errors": [{"code", "message"}]}}}}.
func errorTree(fields []fieldError) map[string]any {
	root := map[string]any{}
	for _, f := range fields {
		node := root
		for _, key := range f.path {
			child, ok := node[key].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[key] = child
			}
			node = child
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]any{"code": f.code, "message": f.message})
	}
	return root
}

func (e *apiError) write(w http.ResponseWriter) {
	for k, values := range e.header {
		for _, v := range values {
			w.Header().Add(k, v)
		}
	}
	contentType := e.contentType
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"message": "500: Internal Server Error", "code": 0}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return b
}
