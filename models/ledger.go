package models

import (
	"time"

	"github.com/uptrace/bun"
)

// LedgerStatus is where a ledger row is in the admit, settle or release
// protocol.
type LedgerStatus string

// Ledger statuses. Pending rows are reserved but not yet settled; settled
// rows carry the real cost; failed rows were released at zero cost;
// uncertain rows were settled at their estimate because the outcome of the
// OpenAI request is unknown; refused rows record a request that admission
// turned down, which never reached OpenAI and costs nothing.
const (
	StatusPending   LedgerStatus = "pending"
	StatusSettled   LedgerStatus = "settled"
	StatusFailed    LedgerStatus = "failed"
	StatusUncertain LedgerStatus = "uncertain"
	StatusRefused   LedgerStatus = "refused"
)

// LedgerEntry is a row of usage_ledger_table: one OpenAI request, from
// admission to settlement. (InteractionID, Step) is unique, so a replayed
// interaction is charged once.
type LedgerEntry struct {
	bun.BaseModel `bun:"table:usage_ledger_table"`

	ID                     int64        `bun:"id,pk,autoincrement"`
	InteractionID          string       `bun:"interaction_id,notnull"`
	Step                   int          `bun:"step,notnull"`
	UserID                 int64        `bun:"user_id,notnull"`
	GuildID                string       `bun:"guild_id,notnull"`
	ChannelID              string       `bun:"channel_id,notnull"`
	Endpoint               string       `bun:"endpoint,notnull"`
	Model                  string       `bun:"model,notnull"`
	Size                   string       `bun:"size,notnull"`
	Quality                string       `bun:"quality,notnull"`
	Status                 LedgerStatus `bun:"status,notnull"`
	Day                    string       `bun:"day,notnull"`
	CreatedAt              time.Time    `bun:"created_at,notnull"`
	SettledAt              bun.NullTime `bun:"settled_at"`
	Units                  int          `bun:"units,notnull"`
	TextInputTokens        int64        `bun:"text_input_tokens,notnull"`
	CachedInputTokens      int64        `bun:"cached_input_tokens,notnull"`
	ImageInputTokens       int64        `bun:"image_input_tokens,notnull"`
	CachedImageInputTokens int64        `bun:"cached_image_input_tokens,notnull"`
	TextOutputTokens       int64        `bun:"text_output_tokens,notnull"`
	ImageOutputTokens      int64        `bun:"image_output_tokens,notnull"`
	PriceID                *int64       `bun:"price_id"`
	Estimate               MicroUSD     `bun:"estimate_micro_usd,notnull"`
	Cost                   MicroUSD     `bun:"cost_micro_usd,notnull"`
	OpenAIRequestID        string       `bun:"openai_request_id,notnull"`
	LatencyMS              int          `bun:"latency_ms,notnull"`
	Attempts               int          `bun:"attempts,notnull"`
	Failure                string       `bun:"failure,notnull"`
	Prompt                 *string      `bun:"prompt"`
}

// Tokens returns the row's token counts.
func (e LedgerEntry) Tokens() Tokens {
	return Tokens{
		TextInput:        e.TextInputTokens,
		CachedInput:      e.CachedInputTokens,
		ImageInput:       e.ImageInputTokens,
		CachedImageInput: e.CachedImageInputTokens,
		TextOutput:       e.TextOutputTokens,
		ImageOutput:      e.ImageOutputTokens,
	}
}

// SetTokens copies token counts onto the row.
func (e *LedgerEntry) SetTokens(t Tokens) {
	e.TextInputTokens = t.TextInput
	e.CachedInputTokens = t.CachedInput
	e.ImageInputTokens = t.ImageInput
	e.CachedImageInputTokens = t.CachedImageInput
	e.TextOutputTokens = t.TextOutput
	e.ImageOutputTokens = t.ImageOutput
}
