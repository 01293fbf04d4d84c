package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/tallybot/tally/metering"
)

// RefusalMessage tells a member why their request was refused and when
// they may try again. The moderator's note is theirs to read.
func RefusalMessage(r *metering.Refusal) string {
	var b strings.Builder
	switch r.Reason {
	case metering.ReasonBlacklisted:
		b.WriteString("You are blocked from using Tally here")
		if !r.RetryAt.IsZero() {
			fmt.Fprintf(&b, " until %s", discordTime(r.RetryAt))
		}
		b.WriteString(".")
	case metering.ReasonRateLimited:
		fmt.Fprintf(&b, "You have used all %d of your requests for this %s.", r.Limit, r.Period)
		if !r.RetryAt.IsZero() {
			fmt.Fprintf(&b, " You can make more %s.", discordRelative(r.RetryAt))
		}
	case metering.ReasonOverBudget:
		fmt.Fprintf(&b, "This request would go over the spending cap of %s.", r.Budget)
		if !r.RetryAt.IsZero() {
			fmt.Fprintf(&b, " The cap resets %s.", discordRelative(r.RetryAt))
		}
	default:
		b.WriteString("This request was refused.")
	}
	if r.Note != "" {
		fmt.Fprintf(&b, " Reason given: %s", r.Note)
	}
	b.WriteString(" Nothing was charged.")
	return b.String()
}

// discordTime formats t as a Discord timestamp, which each member's client
// shows in their own time zone.
func discordTime(t time.Time) string {
	return fmt.Sprintf("<t:%d:f>", t.Unix())
}

func discordRelative(t time.Time) string {
	return fmt.Sprintf("<t:%d:R>", t.Unix())
}
