// Package openaiclient is Tally's one place that talks to OpenAI or to an
// OpenAI-compatible server. It sends every request that
// github.com/sashabaranov/go-openai v1.43.0 can express through that
// library, and the rest through a small adapter that shares its base URL,
// API key, HTTP client and error types. It classifies every failure into a
// Failure so that the metering layer can decide whether a call is charged.
package openaiclient

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultBaseURL is the OpenAI API origin used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

const (
	defaultMaxRetries       = 2
	defaultBaseRetryDelay   = 500 * time.Millisecond
	defaultMaxRetryDelay    = 20 * time.Second
	defaultMaxResponseBytes = 128 << 20
)

// Config is the configuration of a Client. Only APIKey is required.
type Config struct {
	// APIKey is sent as a bearer token to BaseURL and never to any other host.
	APIKey string
	// BaseURL is the API origin including the version path, for example
	// https://api.openai.com/v1 or a compatible server. Empty means DefaultBaseURL.
	BaseURL string
	// HTTPClient sends every request, including downloads of image URLs.
	// Nil means a new http.Client with no timeout: callers bound each call
	// with their context's deadline.
	HTTPClient *http.Client
	// SafetyKey is the HMAC key for Client.SafetyID.
	SafetyKey []byte
	// MaxRetries is the number of retries after the first attempt for
	// rate limits and server errors. Zero means 2; a negative value
	// disables retries.
	MaxRetries int
	// BaseRetryDelay is the first backoff delay when the server sends no
	// retry-after header; it doubles on each retry. Zero means 500 ms.
	BaseRetryDelay time.Duration
	// MaxRetryDelay caps every backoff delay, including one the server
	// requests in a retry-after header. Zero means 20 s.
	MaxRetryDelay time.Duration
	// MaxResponseBytes limits the size of a response body, image downloads
	// included. Zero means 128 MiB.
	MaxResponseBytes int64
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Sleep waits for a backoff delay and returns early with the context's
	// error when ctx ends. Nil means a timer-based wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one record per retry. Nil means slog.Default().
	Logger *slog.Logger
}

// String describes the configuration without the API key or the safety key.
func (cfg Config) String() string {
	return fmt.Sprintf("openaiclient.Config{BaseURL:%q}", cfg.BaseURL)
}

// GoString is String, so that %#v does not print the keys either.
func (cfg Config) GoString() string { return cfg.String() }

// Client calls the OpenAI API. It is safe for concurrent use.
type Client struct {
	apiKey           string
	baseURL          string
	httpClient       *http.Client
	doer             *recordingDoer
	api              *openai.Client
	safetyKey        []byte
	maxRetries       int
	baseRetryDelay   time.Duration
	maxRetryDelay    time.Duration
	maxResponseBytes int64
	now              func() time.Time
	sleep            func(ctx context.Context, d time.Duration) error
	logger           *slog.Logger
}

// New returns a Client for cfg, filling in the defaults described on Config.
func New(cfg Config) *Client {
	c := &Client{
		apiKey:           cfg.APIKey,
		baseURL:          strings.TrimRight(cfg.BaseURL, "/"),
		httpClient:       cfg.HTTPClient,
		safetyKey:        cfg.SafetyKey,
		maxRetries:       cfg.MaxRetries,
		baseRetryDelay:   cfg.BaseRetryDelay,
		maxRetryDelay:    cfg.MaxRetryDelay,
		maxResponseBytes: cfg.MaxResponseBytes,
		now:              cfg.Now,
		sleep:            cfg.Sleep,
		logger:           cfg.Logger,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{}
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseRetryDelay <= 0 {
		c.baseRetryDelay = defaultBaseRetryDelay
	}
	if c.maxRetryDelay <= 0 {
		c.maxRetryDelay = defaultMaxRetryDelay
	}
	if c.maxResponseBytes <= 0 {
		c.maxResponseBytes = defaultMaxResponseBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}

	c.doer = &recordingDoer{client: c.httpClient, maxBodyBytes: c.maxResponseBytes}
	apiConfig := openai.DefaultConfig(cfg.APIKey)
	apiConfig.BaseURL = c.baseURL
	apiConfig.HTTPClient = c.doer
	c.api = openai.NewClientWithConfig(apiConfig)
	return c
}

// String describes the client without its keys.
func (c *Client) String() string {
	return fmt.Sprintf("openaiclient.Client{BaseURL:%q}", c.baseURL)
}

// GoString is String, so that %#v does not print the keys either.
func (c *Client) GoString() string { return c.String() }

// SafetyID returns the identifier to send to OpenAI for a Discord member,
// keyed with Config.SafetyKey.
func (c *Client) SafetyID(discordUserID string) string {
	return SafetyID(c.safetyKey, discordUserID)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
