package commands

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseEnd(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("time zone data missing: %v", err)
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	// 2026-03-29 02:00 in Paris is when clocks move to summer time.
	beforeDST := time.Date(2026, 3, 28, 12, 0, 0, 0, paris)

	tests := []struct {
		name            string
		duration, until string
		now             time.Time
		zone            *time.Location
		want            time.Time
	}{
		{name: "neither means no end", now: now, zone: time.UTC},
		{name: "minutes", duration: "30m", now: now, zone: time.UTC, want: now.Add(30 * time.Minute)},
		{name: "hours", duration: "12h", now: now, zone: time.UTC, want: now.Add(12 * time.Hour)},
		{name: "days", duration: "7d", now: now, zone: time.UTC, want: now.AddDate(0, 0, 7)},
		{name: "weeks", duration: "2w", now: now, zone: time.UTC, want: now.AddDate(0, 0, 14)},
		{name: "upper case and spaces", duration: " 2W ", now: now, zone: time.UTC, want: now.AddDate(0, 0, 14)},
		{name: "several units", duration: "1w2d3h", now: now, zone: time.UTC, want: now.AddDate(0, 0, 9).Add(3 * time.Hour)},
		{name: "a day keeps the wall clock across DST", duration: "1d", now: beforeDST, zone: paris, want: time.Date(2026, 3, 29, 12, 0, 0, 0, paris)},
		{name: "24 hours do not", duration: "24h", now: beforeDST, zone: paris, want: time.Date(2026, 3, 29, 13, 0, 0, 0, paris)},
		{name: "date is midnight in the zone", until: "2026-12-31", now: now, zone: paris, want: time.Date(2026, 12, 31, 0, 0, 0, 0, paris)},
		{name: "local time in the zone", until: "2026-12-31T18:30", now: now, zone: paris, want: time.Date(2026, 12, 31, 18, 30, 0, 0, paris)},
		{name: "local time with a space", until: "2026-12-31 18:30:15", now: now, zone: time.UTC, want: time.Date(2026, 12, 31, 18, 30, 15, 0, time.UTC)},
		{name: "RFC 3339 keeps its offset", until: "2026-12-31T18:00:00+05:00", now: now, zone: paris, want: time.Date(2026, 12, 31, 13, 0, 0, 0, time.UTC)},
		{name: "just under ten years", duration: "520w", now: now, zone: time.UTC, want: now.AddDate(0, 0, 3640)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnd(tt.duration, tt.until, tt.now, tt.zone)
			if err != nil {
				t.Fatalf("parseEnd(%q, %q) error: %v", tt.duration, tt.until, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parseEnd(%q, %q) = %v, want %v", tt.duration, tt.until, got, tt.want)
			}
		})
	}
}

func TestParseEndRejects(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		duration, until string
		// message is a part of the member's message that names the fault.
		message string
	}{
		{"both given", "7d", "2026-12-31", "either a duration or an end date"},
		{"unknown unit", "3x", "", `"3x" is not valid`},
		{"no unit", "30", "", `"30" is not valid`},
		{"no number", "d", "", `"d" is not valid`},
		{"negative", "-5m", "", `"-5m" is not valid`},
		{"fraction", "1.5h", "", `"1.5h" is not valid`},
		{"zero", "0m", "", "is zero"},
		{"over ten years", "11000d", "", "more than ten years"},
		{"over ten years in parts", "500w500w", "", "more than ten years"},
		{"digits that overflow", "99999999999999999999999h", "", "more than ten years"},
		{"date in the past", "", "2026-12-01", "in the past"},
		{"now is not after now", "", "2026-12-04T10:00:00Z", "in the past"},
		{"date far ahead", "", "2099-01-01", "more than ten years"},
		{"not a date", "", "next friday", `"next friday" is not valid`},
		{"impossible date", "", "2026-02-30", `"2026-02-30" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnd(tt.duration, tt.until, now, time.UTC)
			if err == nil {
				t.Fatalf("parseEnd(%q, %q) = %v, want an error", tt.duration, tt.until, got)
			}
			var userErr *UserError
			if !errors.As(err, &userErr) {
				t.Fatalf("error %v is not a *UserError", err)
			}
			if !strings.Contains(userErr.Message, tt.message) {
				t.Errorf("message %q does not contain %q", userErr.Message, tt.message)
			}
		})
	}
}
