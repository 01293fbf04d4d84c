package metering

import (
	"time"

	"github.com/tallybot/tally/models"
)

// WindowStart returns the start of the calendar-aligned window of the
// period that contains t, in zone: the hour, the day from midnight, the
// week from Monday at midnight, or the month from its first day. A request
// made exactly at a window's start belongs to the new window.
func WindowStart(t time.Time, period models.Period, zone *time.Location) time.Time {
	local := t.In(zone)
	y, m, d := local.Date()
	switch period {
	case models.PeriodHour:
		// Subtracting the minutes and seconds keeps the instant's own offset:
		// time.Date could resolve the hour that repeats when daylight saving
		// ends to its other occurrence.
		sinceHour := time.Duration(local.Minute())*time.Minute + time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
		return local.Add(-sinceHour)
	case models.PeriodWeek:
		offset := (int(local.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-offset, 0, 0, 0, 0, zone)
	case models.PeriodMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, zone)
	default:
		return time.Date(y, m, d, 0, 0, 0, 0, zone)
	}
}

// Day returns the day bucket of t in zone, as YYYY-MM-DD.
func Day(t time.Time, zone *time.Location) string {
	return t.In(zone).Format(time.DateOnly)
}
