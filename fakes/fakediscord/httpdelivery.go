package fakediscord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// DeliverHTTP plays Discord's side of an HTTP interactions endpoint: it
// registers the interaction, posts it to endpoint signed with key (the
// X-Signature-Ed25519 and X-Signature-Timestamp headers), and applies the
// bot's HTTP response as the interaction response, through the same checks
// as the callback route. It returns the endpoint's HTTP status; a non-200
// status applies nothing.
func (s *Server) DeliverHTTP(ctx context.Context, endpoint string, key ed25519.PrivateKey, in Interaction) (int, error) {
	registered, err := s.RegisterInteraction(in)
	if err != nil {
		return 0, err
	}
	body, err := json.Marshal(registered)
	if err != nil {
		return 0, fmt.Errorf("encode interaction %s: %w", registered.ID, err)
	}
	req, err := SignedRequest(ctx, endpoint, key, s.now(), body)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver interaction %s: %w", registered.ID, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read the bot's response to %s: %w", registered.ID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}

	// Discord turns the HTTP response into the interaction response; the
	// fake does it by calling its own callback route.
	callbackURL := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", s.origin, registered.ID, registered.Token)
	callback, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(answer))
	if err != nil {
		return resp.StatusCode, err
	}
	callback.Header.Set("Content-Type", "application/json")
	cbResp, err := http.DefaultClient.Do(callback)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("apply the bot's response to %s: %w", registered.ID, err)
	}
	defer cbResp.Body.Close()
	if cbResp.StatusCode >= 300 {
		detail, _ := io.ReadAll(cbResp.Body)
		return resp.StatusCode, fmt.Errorf("the bot's response to %s is not a valid interaction response: %d %s", registered.ID, cbResp.StatusCode, detail)
	}
	return resp.StatusCode, nil
}

// SignedRequest builds a POST of body to endpoint signed as Discord signs
// interactions: Ed25519 over the timestamp followed by the body.
func SignedRequest(ctx context.Context, endpoint string, key ed25519.PrivateKey, at time.Time, body []byte) (*http.Request, error) {
	timestamp := strconv.FormatInt(at.Unix(), 10)
	signature := ed25519.Sign(key, append([]byte(timestamp), body...))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(signature))
	req.Header.Set("X-Signature-Timestamp", timestamp)
	return req, nil
}
