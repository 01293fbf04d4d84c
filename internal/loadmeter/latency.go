package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// summary is the measurement of one phase: the calls that completed, how
// long the measured part took, and the latency distribution of those
// calls.
type summary struct {
	Calls   int
	Errors  int
	Elapsed time.Duration
	P50     time.Duration
	P99     time.Duration
	Max     time.Duration
}

// Rate returns the completed calls per second.
func (s summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Calls) / s.Elapsed.Seconds()
}

// summarize sorts latencies in place and returns their p50, p99 and
// maximum.
func summarize(latencies []time.Duration, errors int, elapsed time.Duration) summary {
	slices.Sort(latencies)
	s := summary{Calls: len(latencies), Errors: errors, Elapsed: elapsed}
	if len(latencies) == 0 {
		return s
	}
	s.P50 = percentile(latencies, 50)
	s.P99 = percentile(latencies, 99)
	s.Max = latencies[len(latencies)-1]
	return s
}

// percentile returns the nearest-rank percentile p (0 < p ≤ 100) of sorted
// latencies: the smallest value that at least p% of the values do not
// exceed. The awk in bench/run.sh computes pgbench's percentiles the same
// way.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	return sorted[rank-1]
}

// format returns the summary as one line of key=value pairs after the
// given labels, which bench/run.sh reads.
func (s summary) format(labels string) string {
	return fmt.Sprintf("%s duration_s=%.2f calls=%d errors=%d calls_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f",
		labels, s.Elapsed.Seconds(), s.Calls, s.Errors, s.Rate(),
		milliseconds(s.P50), milliseconds(s.P99), milliseconds(s.Max))
}

func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
