package main

import (
	"context"
	"sync"
	"time"
)

// callFunc makes one metered call by member; seq makes its interaction
// ID unique.
type callFunc func(ctx context.Context, member int, seq int64) error

// closedLoop is a phase in which each of Callers goroutines starts its
// next call as soon as the previous one returns, as pgbench's clients do.
// Caller i calls as members i, i+Callers, i+2·Callers, … modulo Members,
// so no two callers share a member when Members is a multiple of Callers.
type closedLoop struct {
	Callers int
	Members int
	// Warmup runs before the measured part. Its calls open the
	// connections and are not counted.
	Warmup   time.Duration
	Duration time.Duration
}

// run calls until Warmup+Duration has passed and returns the summary of
// the calls started after Warmup. The first error of a call is returned
// beside the summary, which counts all of them.
func (c closedLoop) run(ctx context.Context, call callFunc) (summary, error) {
	start := time.Now()
	measureFrom := start.Add(c.Warmup)
	stopAt := measureFrom.Add(c.Duration)

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		firstErr  error
		lastEnd   time.Time
		wg        sync.WaitGroup
	)
	for caller := range c.Callers {
		wg.Go(func() {
			var own []time.Duration
			var ownErrors int
			var ownErr error
			var end time.Time
			for n := int64(0); ; n++ {
				begin := time.Now()
				if !begin.Before(stopAt) || ctx.Err() != nil {
					break
				}
				member := (caller + int(n)*c.Callers) % c.Members
				err := call(ctx, member, n)
				end = time.Now()
				if begin.Before(measureFrom) {
					continue
				}
				if err != nil {
					ownErrors++
					if ownErr == nil {
						ownErr = err
					}
					continue
				}
				own = append(own, end.Sub(begin))
			}

			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, own...)
			failures += ownErrors
			if firstErr == nil {
				firstErr = ownErr
			}
			if end.After(lastEnd) {
				lastEnd = end
			}
		})
	}
	wg.Wait()
	return summarize(latencies, failures, lastEnd.Sub(measureFrom)), firstErr
}
