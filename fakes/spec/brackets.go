package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
)

// trimArrayBrackets returns a multipart body in which every part named
// "name[]" is renamed "name". OpenAI's document describes an array field of
// a form, such as the images of an edit, as repeated parts named "image",
// while some clients send repeated "image[]" parts, which the fake OpenAI
// server accepts too. The
// ok result is false when the body is not multipart or has no such part,
// and the body is then validated as it is.
func trimArrayBrackets(header http.Header, body []byte) (trimmed []byte, ok bool, err error) {
	mediaType, params, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || !bytes.Contains(body, []byte(`[]"`)) {
		return nil, false, nil
	}

	var out bytes.Buffer
	writer := multipart.NewWriter(&out)
	if err := writer.SetBoundary(params["boundary"]); err != nil {
		return nil, false, fmt.Errorf("copy multipart boundary: %w", err)
	}
	reader := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("read multipart body: %w", err)
		}

		name := part.FormName()
		partHeader := textproto.MIMEHeader{}
		for key, values := range part.Header {
			partHeader[key] = values
		}
		if bare, found := strings.CutSuffix(name, "[]"); found {
			disposition := map[string]string{"name": bare}
			if filename := part.FileName(); filename != "" {
				disposition["filename"] = filename
			}
			partHeader.Set("Content-Disposition", mime.FormatMediaType("form-data", disposition))
			ok = true
		}

		dst, err := writer.CreatePart(partHeader)
		if err != nil {
			return nil, false, fmt.Errorf("write multipart part %s: %w", name, err)
		}
		if _, err := io.Copy(dst, part); err != nil {
			return nil, false, fmt.Errorf("copy multipart part %s: %w", name, err)
		}
		_ = part.Close()
	}
	if err := writer.Close(); err != nil {
		return nil, false, fmt.Errorf("close multipart body: %w", err)
	}
	return out.Bytes(), ok, nil
}
