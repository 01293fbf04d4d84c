package openaiclient

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// safetyIDPrefix marks Tally's hashed identifiers, so that a raw Discord
// ID passed by mistake is rejected instead of sent.
const safetyIDPrefix = "tally_"

// safetyIDContext separates these hashes from any other use of the key.
const safetyIDContext = "tally safety identifier v1\x00"

// safetyIDHashLength is the length of an unpadded base64url SHA-256 MAC.
const safetyIDHashLength = 43

// SafetyID returns the identifier Tally sends to OpenAI for a Discord
// member: "tally_" and the unpadded base64url HMAC-SHA256 of the user ID
// under key, 49 characters in all. OpenAI can tell one member's requests
// apart without learning the ID. key must be a secret of at least 32
// random bytes: Discord IDs are public and guessable, so with a known or
// empty key anyone can recompute the hash.
func SafetyID(key []byte, discordUserID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(safetyIDContext))
	mac.Write([]byte(discordUserID))
	return safetyIDPrefix + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validSafetyID reports whether id is empty or has the shape SafetyID
// returns.
func validSafetyID(id string) bool {
	if id == "" {
		return true
	}
	hash, ok := strings.CutPrefix(id, safetyIDPrefix)
	if !ok || len(hash) != safetyIDHashLength {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(hash)
	return err == nil
}
