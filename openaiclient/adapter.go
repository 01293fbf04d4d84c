package openaiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// The adapter sends the requests go-openai v1.43.0 cannot express, with the
// same base URL, API key, HTTP doer and error types as go-openai's calls.

// sendRaw sends one request to path under the base URL and decodes a
// success body into out, unless out is nil. An error status becomes an
// *openai.APIError or, when the body is not an OpenAI error object, an
// *openai.RequestError, as go-openai does.
func (c *Client) sendRaw(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, reader)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}

	resp, err := c.doer.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusBadRequest {
		return errorFromResponse(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// sendJSON marshals in as the JSON body of a request and decodes the
// response into out.
func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		body, err = json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	return c.sendRaw(ctx, method, path, "application/json", body, out)
}

// errorFromResponse builds the go-openai error type for an error response
// whose body the recording doer has already read into memory.
func errorFromResponse(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return &TransportError{RequestWritten: true, StatusCode: resp.StatusCode, Err: err}
	}

	var envelope openai.ErrorResponse
	decodeErr := json.Unmarshal(body, &envelope)
	if decodeErr == nil && envelope.Error != nil {
		envelope.Error.HTTPStatus = resp.Status
		envelope.Error.HTTPStatusCode = resp.StatusCode
		return envelope.Error
	}
	return &openai.RequestError{
		HTTPStatus:     resp.Status,
		HTTPStatusCode: resp.StatusCode,
		Err:            decodeErr,
		Body:           body,
	}
}
