package openaiclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// ImageRequest is a request to generate images from a prompt.
type ImageRequest struct {
	// Model is required, for example "gpt-image-2".
	Model  string
	Prompt string
	// Size, Quality and Count are omitted when empty or zero, so the
	// server's defaults apply.
	Size    string
	Quality string
	Count   int
	// OutputFormat ("png", "jpeg" or "webp") and OutputCompression (1–100)
	// are sent to GPT image models only; dall-e models reject them. Zero
	// compression means the server's default, because go-openai v1.43.0
	// omits a zero value.
	OutputFormat      string
	OutputCompression int
	// SafetyID is the member's hashed identifier from SafetyID, sent as
	// the request's user field, or empty.
	SafetyID string
}

// ImageResult is the outcome of an images call.
type ImageResult struct {
	// Images are the decoded image files, downloaded first where the server
	// returned URLs.
	Images [][]byte
	// Format is "png", "jpeg" or "webp", read from the first image's bytes.
	Format    string
	Usage     Usage
	RequestID string
	Model     string
	// Attempts is the number of requests sent, retries included.
	Attempts int
}

// imagesResponseMeta holds the fields of an images response that go-openai
// v1.43.0's ImageResponse drops.
type imagesResponseMeta struct {
	OutputFormat string          `json:"output_format"`
	Usage        *imageUsageBody `json:"usage"`
}

// imageData is one image of an images response.
type imageData struct {
	B64JSON string `json:"b64_json"`
	URL     string `json:"url"`
}

// GenerateImages creates images with POST /images/generations through
// go-openai's CreateImage. It requests base64 data from dall-e models and
// never sends response_format to other models, which reject it. The usage is
// read from the raw response body, because go-openai's type drops the
// output token details.
//
// Errors are *Error. When OpenAI responded but the images could not be
// decoded or downloaded, the error is FailureUnknownOutcome and the result
// still carries Usage, RequestID and Attempts, because the call was billed.
func (c *Client) GenerateImages(ctx context.Context, req ImageRequest) (ImageResult, error) {
	const operation = "POST /images/generations"
	result := ImageResult{Model: req.Model}
	if err := validateImageRequest(req); err != nil {
		return result, invalidInput(operation, err)
	}

	apiRequest := openai.ImageRequest{
		Model:   req.Model,
		Prompt:  req.Prompt,
		N:       req.Count,
		Size:    req.Size,
		Quality: req.Quality,
		User:    req.SafetyID,
	}
	if isDallE(req.Model) {
		apiRequest.ResponseFormat = openai.CreateImageResponseFormatB64JSON
	} else {
		apiRequest.OutputFormat = req.OutputFormat
		apiRequest.OutputCompression = req.OutputCompression
	}

	var response openai.ImageResponse
	record, err := c.run(ctx, operation, func(ctx context.Context) error {
		var err error
		response, err = c.api.CreateImage(ctx, apiRequest)
		return err
	})
	result.Attempts = record.attempts
	result.RequestID = record.requestID
	if err != nil {
		return result, err
	}

	var meta imagesResponseMeta
	if err := json.Unmarshal(record.body, &meta); err != nil {
		return result, undecodable(operation, record, fmt.Errorf("decode usage: %w", err))
	}
	data := make([]imageData, len(response.Data))
	for i, image := range response.Data {
		data[i] = imageData{B64JSON: image.B64JSON, URL: image.URL}
	}
	return c.finishImages(ctx, operation, record, result, data, meta, false)
}

// finishImages decodes or downloads the images of a successful response
// and fills in the rest of result.
func (c *Client) finishImages(ctx context.Context, operation string, record callRecord, result ImageResult, data []imageData, meta imagesResponseMeta, inputHasImages bool) (ImageResult, error) {
	result.Usage = imageUsage(meta.Usage, len(data), inputHasImages)
	if len(data) == 0 {
		return result, undecodable(operation, record, errors.New("response contains no images"))
	}

	images := make([][]byte, 0, len(data))
	for i, image := range data {
		decoded, err := c.imageBytes(ctx, image)
		if err != nil {
			return result, undecodable(operation, record, fmt.Errorf("image %d: %w", i+1, err))
		}
		images = append(images, decoded)
	}
	result.Images = images
	result.Format = imageFormat(images[0], meta.OutputFormat)
	return result, nil
}

// imageBytes returns the file of one image from its base64 data or its URL.
func (c *Client) imageBytes(ctx context.Context, image imageData) ([]byte, error) {
	switch {
	case image.B64JSON != "":
		decoded, err := base64.StdEncoding.DecodeString(image.B64JSON)
		if err != nil {
			return nil, fmt.Errorf("decode base64 image: %w", err)
		}
		return decoded, nil
	case image.URL != "":
		return c.download(ctx, image.URL)
	default:
		return nil, errors.New("image has neither b64_json nor url")
	}
}

// download fetches an image URL with the client's HTTP client and without
// the API key, because the URL points to storage, not to the API.
func (c *Client) download(ctx context.Context, rawURL string) ([]byte, error) {
	parsed, err := url.Parse(rawURL)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") {
		return nil, fmt.Errorf("invalid image URL %q: want an http or https URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, parsed.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build image download: %w", err)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download image: status %s", resp.Status)
	}
	body, err := readAtMost(resp.Body, c.maxResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("download image: %w", err)
	}
	return body, nil
}

// imageFormat names the format of an image file from its first bytes,
// falling back to the response's output_format and then to png.
func imageFormat(image []byte, reported string) string {
	switch http.DetectContentType(image) {
	case "image/png":
		return "png"
	case "image/jpeg":
		return "jpeg"
	case "image/webp":
		return "webp"
	}
	if reported != "" {
		return reported
	}
	return "png"
}

// undecodable wraps a failure to read a success response. OpenAI has done
// and billed the work, so the outcome for metering is unknown.
func undecodable(operation string, record callRecord, err error) error {
	return &Error{
		Operation: operation,
		Failure:   FailureUnknownOutcome,
		Attempts:  record.attempts,
		RequestID: record.requestID,
		Err:       err,
	}
}

func invalidInput(operation string, err error) error {
	return &Error{Operation: operation, Failure: FailureInvalidInput, Err: err}
}

// isDallE reports whether model is a DALL·E model, which returns URLs
// unless asked for base64 and accepts no GPT-image-only parameters.
func isDallE(model string) bool {
	return strings.HasPrefix(strings.ToLower(model), "dall-e")
}

func validateImageRequest(req ImageRequest) error {
	switch {
	case req.Model == "":
		return errors.New("missing model")
	case strings.TrimSpace(req.Prompt) == "":
		return errors.New("missing prompt")
	}
	return validateCommon(req.Count, req.OutputCompression, req.SafetyID)
}

func validateCommon(count, compression int, safetyID string) error {
	switch {
	case count < 0 || count > 10:
		return fmt.Errorf("invalid image count %d: want 1 to 10, or 0 for the default", count)
	case compression < 0 || compression > 100:
		return fmt.Errorf("invalid output compression %d: want 0 to 100", compression)
	case !validSafetyID(safetyID):
		return errors.New("invalid safety ID: pass the value SafetyID returns, never a raw user ID")
	}
	return nil
}
