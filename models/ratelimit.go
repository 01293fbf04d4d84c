package models

import (
	"time"

	"github.com/uptrace/bun"
)

// RateLimit is a row of rate_limited_user_table: at most Limit requests per
// Period, from Date until Until (for ever when Until is null), unless it
// was lifted. UserID is nil for a server's default, and GuildID is
// GlobalGuildID for an operator's entry that applies everywhere.
type RateLimit struct {
	bun.BaseModel `bun:"table:rate_limited_user_table"`

	ID       int64        `bun:"id,pk,autoincrement"`
	UserID   *int64       `bun:"user_id"`
	GuildID  string       `bun:"guild_id,notnull"`
	Date     time.Time    `bun:"date,notnull"`
	Reason   string       `bun:"reason,notnull"`
	By       *int64       `bun:"rate_limited_by"`
	Until    bun.NullTime `bun:"rate_limited_until"`
	Limit    int          `bun:"rate_limit,notnull"`
	Period   Period       `bun:"period,notnull"`
	LiftedAt bun.NullTime `bun:"lifted_at"`
	LiftedBy *int64       `bun:"lifted_by"`
}

// Period is the length of a rate-limit or budget window.
type Period string

// Periods. Windows are calendar-aligned in Tally's time zone: an hour
// starts on the hour, a day at midnight, a week on Monday at midnight and
// a month on its first day.
const (
	PeriodHour  Period = "hour"
	PeriodDay   Period = "day"
	PeriodWeek  Period = "week"
	PeriodMonth Period = "month"
)
