package main

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(values ...int) []time.Duration {
		out := make([]time.Duration, len(values))
		for i, v := range values {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{name: "one value", sorted: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "median of four is the second", sorted: ms(1, 2, 3, 4), p: 50, want: 2 * time.Millisecond},
		{name: "median of five is the third", sorted: ms(1, 2, 3, 4, 5), p: 50, want: 3 * time.Millisecond},
		{name: "p99 of 100 is the 99th", sorted: ms(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "p99 of ten is the maximum", sorted: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 99, want: 10 * time.Millisecond},
		{name: "p100 is the maximum", sorted: ms(1, 2, 3), p: 100, want: 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %g) = %s, want %s", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarizeSortsAndCounts(t *testing.T) {
	latencies := []time.Duration{5 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	got := summarize(latencies, 1, 2*time.Second)

	if got.Calls != 4 {
		t.Errorf("Calls = %d, want 4", got.Calls)
	}
	if got.Errors != 1 {
		t.Errorf("Errors = %d, want 1", got.Errors)
	}
	if got.P50 != 2*time.Millisecond {
		t.Errorf("P50 = %s, want 2ms", got.P50)
	}
	if got.Max != 5*time.Millisecond {
		t.Errorf("Max = %s, want 5ms", got.Max)
	}
	if rate := got.Rate(); rate != 2 {
		t.Errorf("Rate() = %g calls/s, want 2", rate)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	got := summarize(nil, 3, 0)
	if got.Calls != 0 || got.P99 != 0 || got.Rate() != 0 {
		t.Errorf("summarize(nil) = %+v with rate %g, want zero calls, latencies and rate", got, got.Rate())
	}
}
