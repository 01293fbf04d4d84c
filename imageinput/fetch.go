// Package imageinput downloads the images members attach to commands and
// converts them into files the target OpenAI image model accepts. It checks
// every limit before the expensive step it guards: the host and declared
// size before downloading, the byte count while reading, and the pixel
// count from the header before decoding.
package imageinput

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MaxDownloadBytes is the largest attachment Fetcher downloads by default.
// It is above the 50 MB that GPT image models accept, so that a larger
// image can still be recompressed to fit.
const MaxDownloadBytes = 100_000_000

// maxRedirects bounds the redirects followed for one download.
const maxRedirects = 3

// Fetcher downloads attachments from an allow-list of hosts.
type Fetcher struct {
	client   *http.Client
	hosts    []string
	maxBytes int64
}

// NewFetcher returns a Fetcher that downloads with a copy of client, only
// from hosts, at most maxBytes per file. A host entry without a port, such
// as cdn.discordapp.com, allows that host on any port. An entry with a
// port, such as 127.0.0.1:8080, allows only that port. Redirects are
// followed only to allowed hosts.
func NewFetcher(client *http.Client, hosts []string, maxBytes int64) *Fetcher {
	if client == nil {
		client = http.DefaultClient
	}
	f := &Fetcher{hosts: hosts, maxBytes: maxBytes}
	copied := *client
	copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if !f.allowed(req.URL) {
			return hostNotAllowed(fmt.Errorf("redirect to host %q", req.URL.Host))
		}
		return nil
	}
	f.client = &copied
	return f
}

// CheckURL returns a *Rejection of kind ErrHostNotAllowed unless rawURL is
// an http or https URL on an allowed host.
func (f *Fetcher) CheckURL(rawURL string) error {
	parsed, err := url.Parse(rawURL)
	if err != nil || !f.allowed(parsed) {
		return hostNotAllowed(err)
	}
	return nil
}

// CheckSize returns a *Rejection of kind ErrTooLarge when a declared size
// in bytes is above the limit.
func (f *Fetcher) CheckSize(declared int64) error {
	if declared > f.maxBytes {
		return tooLarge(declared, f.maxBytes)
	}
	return nil
}

// Fetch downloads rawURL exactly as given, signed query string included,
// after checking its host and declaredSize (0 when unknown). It reads at
// most the byte limit, whatever the declared size or Content-Length state.
// Errors are *Rejection: ErrHostNotAllowed, ErrTooLarge, or ErrUnavailable
// when the host does not serve the file or the download fails.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, declaredSize int64) ([]byte, error) {
	if err := f.CheckURL(rawURL); err != nil {
		return nil, err
	}
	if err := f.CheckSize(declaredSize); err != nil {
		return nil, err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &Rejection{Kind: ErrHostNotAllowed, Reason: "The attachment's link is not valid. Attach the image to the command again.", Cause: err}
	}
	resp, err := f.client.Do(req)
	if rejection, ok := AsRejection(err); ok {
		return nil, rejection
	}
	if err != nil {
		return nil, downloadFailed(ctx, err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusGone:
		return nil, &Rejection{
			Kind:   ErrUnavailable,
			Reason: "Discord no longer serves this attachment; its link may have expired. Attach the image to the command again.",
			Cause:  fmt.Errorf("download attachment: status %s", resp.Status),
		}
	case resp.StatusCode != http.StatusOK:
		return nil, downloadFailed(ctx, fmt.Errorf("download attachment: status %s", resp.Status))
	}
	if resp.ContentLength > f.maxBytes {
		return nil, tooLarge(resp.ContentLength, f.maxBytes)
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, downloadFailed(ctx, fmt.Errorf("read attachment: %w", err))
	}
	if int64(len(data)) > f.maxBytes {
		return nil, reject(ErrTooLarge, "The attachment is larger than %s, the most Tally accepts. Attach a smaller image.", megabytes(f.maxBytes))
	}
	return data, nil
}

// allowed reports whether u is an http or https URL on an allowed host.
func (f *Fetcher) allowed(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	if hostname == "" {
		return false
	}
	return slices.ContainsFunc(f.hosts, func(entry string) bool {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if _, _, err := net.SplitHostPort(entry); err == nil {
			return entry == host
		}
		return entry == hostname
	})
}

func hostNotAllowed(cause error) *Rejection {
	return &Rejection{
		Kind:   ErrHostNotAllowed,
		Reason: "Tally downloads attachments only from Discord's file servers, and this attachment's link points elsewhere. Attach the image to the command again.",
		Cause:  cause,
	}
}

func tooLarge(size, limit int64) *Rejection {
	return reject(ErrTooLarge, "The attachment is %s; Tally accepts images up to %s. Attach a smaller image.", megabytes(size), megabytes(limit))
}

// downloadFailed wraps a failed download. When the caller's context has
// ended, the error is passed on as it is, because the interaction failed,
// not the attachment. The HTTP client's own timeout is a rejection.
func downloadFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("download attachment: %w", errors.Join(ctx.Err(), err))
	}
	return &Rejection{
		Kind:   ErrUnavailable,
		Reason: "Tally could not download the attachment from Discord. Please try again in a minute.",
		Cause:  err,
	}
}
