package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Limits of the HTTP interactions endpoint.
const (
	// maxInteractionBytes bounds a request body. Interaction payloads,
	// resolved data included, are a few kilobytes.
	maxInteractionBytes = 1 << 20
	// maxClockSkew is how far a signed timestamp may be from now, so that
	// a captured request cannot be replayed later.
	maxClockSkew = 5 * time.Minute
	// responseWindow is how long the endpoint waits for a command's first
	// response before sending a deferral itself: Discord waits 3
	// seconds for the HTTP response.
	responseWindow = 2500 * time.Millisecond
)

// interactionsHandler serves POST /interactions: Discord's HTTP
// interactions endpoint, verified with the application's Ed25519 key.
type interactionsHandler struct {
	publicKey ed25519.PublicKey
	router    *router
	rest      restResponder
	now       func() time.Time
	logger    *slog.Logger
}

func (h *interactionsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.logger.Warn("interaction body too large", slog.String("remote", r.RemoteAddr))
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	if reason := h.verify(r.Header, body); reason != "" {
		h.logger.Warn("interaction rejected", slog.String("reason", reason), slog.String("remote", r.RemoteAddr))
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}

	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		h.logger.Warn("interaction payload invalid", slog.Any("error", err))
		http.Error(w, "invalid interaction payload", http.StatusBadRequest)
		return
	}
	if in.Type == discordgo.InteractionPing {
		writeInteractionResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}

	responder := newHTTPResponder(h.rest)
	if !h.router.dispatch(&in, responder) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	timer := time.NewTimer(responseWindow)
	defer timer.Stop()
	select {
	case resp := <-responder.initial:
		writeInteractionResponse(w, resp)
		close(responder.written)
	case <-timer.C:
		if responder.closeWindow() {
			h.logger.Warn("command did not respond in time; deferring", slog.String("interaction_id", in.ID))
			writeInteractionResponse(w, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
			})
			return
		}
		// The response arrived as the timer fired.
		writeInteractionResponse(w, <-responder.initial)
		close(responder.written)
	}
}

// verify returns why a request is not Discord's, or "" when it is: the
// signature covers the timestamp and the body, and the timestamp must be
// recent.
func (h *interactionsHandler) verify(header http.Header, body []byte) string {
	signature, err := hex.DecodeString(header.Get("X-Signature-Ed25519"))
	if err != nil || len(signature) != ed25519.SignatureSize {
		return "missing or malformed signature"
	}
	timestamp := header.Get("X-Signature-Timestamp")
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return "missing or malformed timestamp"
	}
	if skew := h.now().Sub(time.Unix(seconds, 0)); skew > maxClockSkew || skew < -maxClockSkew {
		return "stale timestamp"
	}
	message := append([]byte(timestamp), body...)
	if !ed25519.Verify(h.publicKey, message, signature) {
		return "signature does not match"
	}
	return ""
}

func writeInteractionResponse(w http.ResponseWriter, resp *discordgo.InteractionResponse) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
