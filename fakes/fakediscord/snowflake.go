package fakediscord

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// discordEpoch is the first millisecond of 2015 in Unix milliseconds, the
// origin of Discord's snowflake timestamps.
const discordEpoch = 1420070400000

// snowflakes makes increasing Discord-style IDs from a clock: milliseconds
// since discordEpoch in the top 42 bits, then a worker ID and a counter.
type snowflakes struct {
	now  func() time.Time
	mu   sync.Mutex
	last int64
	seq  int64
}

func newSnowflakes(now func() time.Time) *snowflakes {
	return &snowflakes{now: now}
}

func (g *snowflakes) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := g.now().UnixMilli() - discordEpoch
	if ms <= g.last {
		// A stopped or slow test clock must not repeat IDs.
		ms = g.last
		g.seq++
	} else {
		g.seq = 0
	}
	if g.seq >= 1<<12 {
		ms++
		g.seq = 0
	}
	g.last = ms
	const worker = 1
	return strconv.FormatInt(ms<<22|worker<<17|g.seq, 10)
}

// newBuilderSnowflake makes a snowflake from the wall clock for builders
// that run before a Server is involved. Random low bits keep two IDs made
// in one millisecond apart.
func newBuilderSnowflake() string {
	ms := time.Now().UnixMilli() - discordEpoch
	b := randomBytes(3)
	n := int64(b[0])<<16 | int64(b[1])<<8 | int64(b[2])
	return strconv.FormatInt(ms<<22|n&(1<<22-1), 10)
}

// newInteractionToken makes a token shaped like Discord's: base64 of
// "interaction:<id>:<random>".
func newInteractionToken(interactionID string) string {
	text := "interaction:" + interactionID + ":" + base64.RawURLEncoding.EncodeToString(randomBytes(48))
	return base64.RawURLEncoding.EncodeToString([]byte(text))
}

// randomBytes returns n bytes from crypto/rand. Since Go 1.24 its Read
// never returns an error, so none is checked.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string {
	return hex.EncodeToString(randomBytes(n))
}
