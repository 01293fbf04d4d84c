package fakeopenai

import (
	"fmt"
	"net/http"
)

// APIError is the body of an OpenAI error response,
// {"error":{"message","type","param","code"}}. Param and Code are JSON null
// when empty, as OpenAI sends them.
type APIError struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// Error types that OpenAI sends in the type field.
const (
	typeInvalidRequest = "invalid_request_error"
	typeServer         = "server_error"
)

// errorBody is the JSON form of an APIError.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e APIError) body() errorBody {
	return errorBody{Error: errorDetail{
		Message: e.Message,
		Type:    e.Type,
		Param:   nullable(e.Param),
		Code:    nullable(e.Code),
	}}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// reply is an endpoint's response: a status, extra headers and either a
// value to encode as JSON or raw bytes with their content type.
type reply struct {
	status      int
	header      http.Header
	value       any
	raw         []byte
	contentType string
}

// errorReply returns an OpenAI error response.
func errorReply(status int, e APIError) reply {
	return reply{status: status, value: e.body()}
}

// invalidRequest returns a 400 invalid_request_error about param.
func invalidRequest(param, code, format string, args ...any) reply {
	return errorReply(http.StatusBadRequest, APIError{
		Message: fmt.Sprintf(format, args...),
		Type:    typeInvalidRequest,
		Param:   param,
		Code:    code,
	})
}

// unknownParameter returns the error OpenAI sends for a parameter the
// endpoint or model does not accept, such as response_format for GPT image
// models.
func unknownParameter(param string) reply {
	return invalidRequest(param, "unknown_parameter", "Unknown parameter: '%s'.", param)
}

// missingParameter returns the error for a required parameter that is absent.
func missingParameter(param string) reply {
	return invalidRequest(param, "missing_required_parameter", "Missing required parameter: '%s'.", param)
}

// invalidValue returns the error for a value outside the accepted set.
func invalidValue(param, value, supported string) reply {
	return invalidRequest(param, "invalid_value", "Invalid value: '%s'. Supported values are: %s.", value, supported)
}

// modelNotFound returns the 404 OpenAI sends for a model that does not
// exist or that the key may not use.
func modelNotFound(model string) reply {
	return errorReply(http.StatusNotFound, APIError{
		Message: fmt.Sprintf("The model '%s' does not exist or you do not have access to it.", model),
		Type:    typeInvalidRequest,
		Param:   "model",
		Code:    "model_not_found",
	})
}
