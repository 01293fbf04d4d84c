package commands

import (
	"testing"
	"time"
)

func TestReportDays(t *testing.T) {
	tokyo := time.FixedZone("UTC+9", 9*60*60)
	// 20:00 UTC on 31 December is already 1 January in UTC+9.
	now := time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		period   string
		zone     *time.Location
		from, to string
		start    time.Time
	}{
		{periodToday, time.UTC, "2026-12-31", "2026-12-31", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{periodToday, tokyo, "2027-01-01", "2027-01-01", time.Date(2027, 1, 1, 0, 0, 0, 0, tokyo)},
		{periodLast7Days, time.UTC, "2026-12-25", "2026-12-31", time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)},
		{periodLast30Days, time.UTC, "2026-12-02", "2026-12-31", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		{periodThisMonth, time.UTC, "2026-12-01", "2026-12-31", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{periodThisMonth, tokyo, "2027-01-01", "2027-01-01", time.Date(2027, 1, 1, 0, 0, 0, 0, tokyo)},
	}
	for _, tt := range tests {
		t.Run(tt.period+" in "+tt.zone.String(), func(t *testing.T) {
			got := reportDays(tt.period, now, tt.zone)
			if got.From != tt.from || got.To != tt.to {
				t.Errorf("days = %s to %s, want %s to %s", got.From, got.To, tt.from, tt.to)
			}
			if !got.Start.Equal(tt.start) {
				t.Errorf("start = %v, want %v", got.Start, tt.start)
			}
		})
	}
}
