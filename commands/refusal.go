package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
)

// RefusalMessage explains to a member why their request was refused and
// when they may try again. The moderator's note is theirs to read.
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
		fmt.Fprintf(&b, "You have used all %d of your requests %s.", r.Limit, periodPhrase(r.Period))
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
		// The reason is a moderator's text; escaped, it cannot format the
		// message or mention anyone, even when it ends up in a public edit.
		fmt.Fprintf(&b, " Reason given: %s", escapeMarkdown(strings.TrimSpace(r.Note)))
		if !strings.ContainsAny(r.Note[len(r.Note)-1:], ".!?") {
			b.WriteString(".")
		}
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

// allowanceText describes what remains of a member's limits after a
// request, or returns "" when no limit applies to them.
func allowanceText(a metering.Allowance) string {
	var parts []string
	if a.HasRequestLimit {
		noun := "requests"
		if a.RequestsLeft == 1 {
			noun = "request"
		}
		parts = append(parts, fmt.Sprintf("%d %s left %s", max(a.RequestsLeft, 0), noun, periodPhrase(a.RequestPeriod)))
	}
	if a.HasBudget {
		parts = append(parts, fmt.Sprintf("%s of budget left %s", max(a.BudgetLeft, 0), periodPhrase(a.BudgetPeriod)))
	}
	return strings.Join(parts, " · ")
}

func periodPhrase(p models.Period) string {
	switch p {
	case models.PeriodHour:
		return "this hour"
	case models.PeriodWeek:
		return "this week"
	case models.PeriodMonth:
		return "this month"
	default:
		return "today"
	}
}
