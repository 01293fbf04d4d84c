package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
)

// payloadJSONPart is the multipart part that carries a Discord request's
// JSON body when files are attached. Discord's document describes the
// multipart body with the JSON schema's own fields and does not mention
// payload_json, so the validator checks that part as the JSON body instead.
const payloadJSONPart = "payload_json"

// discordFilePart matches the names of Discord's file parts, files[n].
var discordFilePart = regexp.MustCompile(`^files\[\d+\]$`)

// unwrapPayloadJSON returns the JSON body to validate in place of a
// multipart Discord body, with failures for parts Discord does not accept. The ok result is false when the body is not multipart or has
// no payload_json part, and the body is then validated as it is.
func unwrapPayloadJSON(header http.Header, body []byte) (payload []byte, failures []Failure, ok bool, err error) {
	mediaType, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return nil, nil, false, nil
	}

	reader := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("read multipart body: %w", err)
		}

		name := part.FormName()
		switch {
		case name == payloadJSONPart:
			payload, err = io.ReadAll(part)
			if err != nil {
				return nil, nil, false, fmt.Errorf("read %s part: %w", payloadJSONPart, err)
			}
			ok = true
		case discordFilePart.MatchString(name):
			if part.FileName() == "" {
				failures = append(failures, Failure{
					Message: "multipart file part has no filename",
					Field:   name,
				})
			}
		default:
			failures = append(failures, Failure{
				Message: fmt.Sprintf("unexpected multipart part %q beside %s; expected only files[n] parts", name, payloadJSONPart),
				Field:   name,
			})
		}
		_ = part.Close()
	}
	return payload, failures, ok, nil
}
