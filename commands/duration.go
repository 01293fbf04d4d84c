package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxEntrySpan bounds how far ahead a blacklist or rate-limit end may lie.
// It catches typos such as "5000w". An entry meant to last for ever is
// given no duration at all.
const maxEntrySpan = 10 * 365 * 24 * time.Hour

// unitSpans are the units a relative duration accepts, with the length
// each stands for when checked against maxEntrySpan. Days and weeks are
// added as calendar days in Tally's time zone, so "7d" ends at the same
// wall clock time a week later, across daylight saving changes too.
var unitSpans = map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}

// localLayouts are the absolute forms read in Tally's time zone. RFC 3339
// times are read apart, because they carry their own offset.
var localLayouts = []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"}

// parseEnd returns the instant an entry ends. duration is counted from
// now: "30m", "12h", "7d", "2w", or several such as "1w2d". until is an
// absolute date ("2026-12-31", meaning midnight at its start in zone) or
// time (RFC 3339, or "2026-12-31T18:00" in zone). When both are empty the
// entry has no end, returned as the zero time. The error is a *UserError
// that names the invalid value.
func parseEnd(duration, until string, now time.Time, zone *time.Location) (time.Time, error) {
	duration, until = strings.TrimSpace(duration), strings.TrimSpace(until)
	var end time.Time
	switch {
	case duration != "" && until != "":
		return time.Time{}, Userf("Give either a duration or an end date, not both.")
	case duration != "":
		var err error
		if end, err = addDuration(duration, now, zone); err != nil {
			return time.Time{}, err
		}
	case until != "":
		var err error
		if end, err = parseUntil(until, zone); err != nil {
			return time.Time{}, err
		}
		if !end.After(now) {
			return time.Time{}, Userf("The end date %s is in the past. Give a later date, or a duration such as `7d`.", until)
		}
	default:
		return time.Time{}, nil
	}
	if end.Sub(now) > maxEntrySpan {
		return time.Time{}, Userf("%s is more than ten years away. Leave out the duration for an entry with no end.", firstNonEmpty(duration, until))
	}
	return end, nil
}

// addDuration adds a relative duration such as "90m" or "1w2d" to now.
func addDuration(text string, now time.Time, zone *time.Location) (time.Time, error) {
	invalid := Userf("The duration %q is not valid. Use a number and a unit: `30m`, `12h`, `7d` or `2w`.", text)
	s := strings.ToLower(text)
	end := now.In(zone)
	for s != "" {
		digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
		if digits == 0 || digits == len(s) {
			return time.Time{}, invalid
		}
		span, ok := unitSpans[s[digits]]
		if !ok {
			return time.Time{}, invalid
		}
		n, err := strconv.ParseInt(s[:digits], 10, 64)
		// Checking each number against the limit first keeps n × span
		// from overflowing a time.Duration.
		if err != nil || n > int64(maxEntrySpan/span) {
			return time.Time{}, Userf("The duration %q is more than ten years. Leave it out for an entry with no end.", text)
		}
		switch s[digits] {
		case 'd', 'w':
			end = end.AddDate(0, 0, int(n*int64(span/(24*time.Hour))))
		default:
			end = end.Add(time.Duration(n) * span)
		}
		s = s[digits+1:]
	}
	if !end.After(now) {
		return time.Time{}, Userf("The duration %q is zero. Give a positive duration such as `30m`.", text)
	}
	return end, nil
}

// parseUntil reads an absolute end date or time.
func parseUntil(text string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, text, zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, Userf("The end date %q is not valid. Use `2026-12-31`, `2026-12-31T18:00` (both in %s) or RFC 3339 such as `2026-12-31T18:00:00Z`.", text, zone)
}

// describeEnd formats when an entry ends as a Discord timestamp, which
// each reader sees in their own time zone.
func describeEnd(end time.Time) string {
	if end.IsZero() {
		return "no end date"
	}
	return fmt.Sprintf("until %s (%s)", discordTime(end), discordRelative(end))
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
