package fakeopenai

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// params reads request parameters from a JSON body or from multipart form
// fields, keeping the first failure. Readers return the default when the
// parameter is absent, or JSON null, or after a failure.
type params struct {
	json    map[string]json.RawMessage
	form    map[string][]string
	failure *reply
}

func (p *params) fail(r reply) {
	if p.failure == nil {
		p.failure = &r
	}
}

// failed returns the first failure, if any.
func (p *params) failed() (reply, bool) {
	if p.failure == nil {
		return reply{}, false
	}
	return *p.failure, true
}

// present reports whether the request names the parameter, even as null
// or as an empty form value.
func (p *params) present(name string) bool {
	if p.json != nil {
		_, ok := p.json[name]
		return ok
	}
	_, ok := p.form[name]
	return ok
}

// raw returns the parameter's JSON value or form value. The ok result is
// false when the parameter is absent or JSON null.
func (p *params) raw(name string) (jsonValue json.RawMessage, formValue string, ok bool) {
	if p.failure != nil {
		return nil, "", false
	}
	if p.json != nil {
		value, found := p.json[name]
		if !found || string(value) == "null" {
			return nil, "", false
		}
		return value, "", true
	}
	values, found := p.form[name]
	if !found {
		return nil, "", false
	}
	return nil, values[0], true
}

func (p *params) text(name, def string) string {
	jsonValue, formValue, ok := p.raw(name)
	if !ok {
		return def
	}
	if jsonValue == nil {
		return formValue
	}
	var value string
	if err := json.Unmarshal(jsonValue, &value); err != nil {
		p.fail(invalidType(name, "a string", jsonValue))
		return def
	}
	return value
}

// choice reads a string parameter that must be one of allowed.
func (p *params) choice(name, def string, allowed ...string) string {
	value := p.text(name, def)
	if p.failure == nil && !slices.Contains(allowed, value) {
		p.fail(invalidValue(name, value, quoteList(allowed)))
		return def
	}
	return value
}

func (p *params) integer(name string, def, minimum, maximum int) int {
	jsonValue, formValue, ok := p.raw(name)
	if !ok {
		return def
	}
	var value int
	if jsonValue != nil {
		if err := json.Unmarshal(jsonValue, &value); err != nil {
			p.fail(invalidType(name, "an integer", jsonValue))
			return def
		}
	} else {
		parsed, err := strconv.Atoi(formValue)
		if err != nil {
			p.fail(invalidRequest(name, "invalid_type",
				"Invalid type for '%s': expected an integer, but got a string that is not one ('%s') instead.", name, formValue))
			return def
		}
		value = parsed
	}

	switch {
	case value < minimum:
		p.fail(invalidRequest(name, "integer_below_min_value",
			"Invalid '%s': integer below minimum value. Expected a value >= %d, but got %d instead.", name, minimum, value))
		return def
	case value > maximum:
		p.fail(invalidRequest(name, "integer_above_max_value",
			"Invalid '%s': integer above maximum value. Expected a value <= %d, but got %d instead.", name, maximum, value))
		return def
	}
	return value
}

func (p *params) boolean(name string, def bool) bool {
	jsonValue, formValue, ok := p.raw(name)
	if !ok {
		return def
	}
	if jsonValue == nil {
		value, err := strconv.ParseBool(formValue)
		if err != nil {
			p.fail(invalidRequest(name, "invalid_type", "Invalid type for '%s': expected a boolean, but got '%s' instead.", name, formValue))
			return def
		}
		return value
	}
	var value bool
	if err := json.Unmarshal(jsonValue, &value); err != nil {
		p.fail(invalidType(name, "a boolean", jsonValue))
		return def
	}
	return value
}

// invalidType returns the error for a JSON value of the wrong type.
func invalidType(name, want string, got json.RawMessage) reply {
	return invalidRequest(name, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.", name, want, jsonKind(got))
}

func jsonKind(value json.RawMessage) string {
	switch strings.TrimSpace(string(value))[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// quoteList formats values as OpenAI lists supported values: 'a', 'b', and 'c'.
func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	if len(quoted) <= 2 {
		return strings.Join(quoted, " and ")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + ", and " + quoted[len(quoted)-1]
}

// jsonParams checks that x is a JSON object whose keys are all in allowed,
// and returns a reader over it.
func jsonParams(x *exchange, allowed []string) (*params, reply, bool) {
	mediaType, _, _ := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return nil, invalidRequest("", "unsupported_content_type",
			"Invalid Content-Type header (%q): this endpoint expects application/json.", x.r.Header.Get("Content-Type")), false
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(x.record.Body, &fields); err != nil || fields == nil {
		return nil, errorReply(http.StatusBadRequest, APIError{
			Message: "We could not parse the JSON body of your request. Send a JSON object in the body.",
			Type:    typeInvalidRequest,
		}), false
	}
	if name, ok := firstUnknown(fields, allowed); ok {
		return nil, unknownParameter(name), false
	}
	return &params{json: fields}, reply{}, true
}

// formParams checks that x is a multipart form whose fields are all in
// fields, each given once with a non-empty value, and whose file parts are
// all in files. It returns a reader over the fields.
func formParams(x *exchange, fields, files []string) (*params, reply, bool) {
	mediaType, _, _ := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		return nil, invalidRequest("", "unsupported_content_type",
			"Invalid Content-Type header (%q): this endpoint expects multipart/form-data.", x.r.Header.Get("Content-Type")), false
	}
	if x.formErr != nil {
		return nil, invalidRequest("", "invalid_multipart", "Could not parse the multipart form: %v.", x.formErr), false
	}

	names := make([]string, 0, len(x.record.Fields))
	for name := range x.record.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := x.record.Fields[name]
		switch {
		case slices.Contains(files, name):
			return nil, invalidRequest(name, "invalid_type",
				"Invalid type for '%s': expected a file upload with a filename, but got a form value.", name), false
		case !slices.Contains(fields, name):
			return nil, unknownParameter(name), false
		case len(values) > 1:
			return nil, invalidRequest(name, "duplicate_parameter", "Duplicate parameter: '%s' is given %d times.", name, len(values)), false
		case values[0] == "":
			return nil, invalidRequest(name, "empty_value",
				"Invalid value for '%s': the value is empty. Leave the parameter out to use its default.", name), false
		}
	}
	for _, file := range x.record.Files {
		if !slices.Contains(files, file.Field) {
			return nil, unknownParameter(file.Field), false
		}
	}
	return &params{form: x.record.Fields}, reply{}, true
}

// firstUnknown returns the alphabetically first key of fields not in allowed.
func firstUnknown(fields map[string]json.RawMessage, allowed []string) (string, bool) {
	var unknown []string
	for name := range fields {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return "", false
	}
	slices.Sort(unknown)
	return unknown[0], true
}
