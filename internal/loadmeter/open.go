package main

import (
	"context"
	"math"
	"sync"
	"time"
)

// openLoop is a phase in which calls are started on a fixed wall-clock
// schedule, Rate per second, whatever happened to the calls before them.
// Call k is due at start + k/Rate and is made by member k mod Members.
// Its latency is measured from when it was due, not from when a worker
// took it, so time spent queued behind slow calls is counted (no
// coordinated omission).
type openLoop struct {
	Rate    float64
	Members int
	// Workers is how many calls may be in flight at once. Due calls wait
	// in a queue for a free worker.
	Workers  int
	Warmup   time.Duration
	Duration time.Duration
	// Grace is how long after the last due time queued calls may still
	// start. Calls not started by then are counted as dropped.
	Grace time.Duration
}

// openResult is an open-loop summary with the calls that never started.
type openResult struct {
	summary
	Offered int
	Dropped int
}

// run schedules Rate·(Warmup+Duration) calls and returns the summary of
// those due after Warmup. The first error of a call is returned beside
// the summary, which counts all of them.
func (o openLoop) run(ctx context.Context, call callFunc) (openResult, error) {
	total := int64(math.Round(o.Rate * (o.Warmup + o.Duration).Seconds()))
	interval := time.Duration(float64(time.Second) / o.Rate)
	warmupCalls := int64(math.Round(o.Rate * o.Warmup.Seconds()))

	type job struct {
		k   int64
		due time.Time
	}
	// The queue holds every call, so the scheduler never waits for a
	// worker and stays on the wall clock.
	queue := make(chan job, total)
	start := time.Now()
	giveUpAt := start.Add(o.Warmup + o.Duration + o.Grace)

	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		dropped   int
		firstErr  error
		lastEnd   time.Time
		wg        sync.WaitGroup
	)
	for range o.Workers {
		wg.Go(func() {
			var own []time.Duration
			var ownErrors, ownDropped int
			var ownErr error
			var end time.Time
			for j := range queue {
				measured := j.k >= warmupCalls
				if time.Now().After(giveUpAt) || ctx.Err() != nil {
					if measured {
						ownDropped++
					}
					continue
				}
				err := call(ctx, int(j.k%int64(o.Members)), j.k)
				end = time.Now()
				if !measured {
					continue
				}
				if err != nil {
					ownErrors++
					if ownErr == nil {
						ownErr = err
					}
					continue
				}
				own = append(own, end.Sub(j.due))
			}

			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, own...)
			failures += ownErrors
			dropped += ownDropped
			if firstErr == nil {
				firstErr = ownErr
			}
			if end.After(lastEnd) {
				lastEnd = end
			}
		})
	}

	for k := range total {
		due := start.Add(time.Duration(k) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		queue <- job{k: k, due: due}
	}
	close(queue)
	wg.Wait()

	measureFrom := start.Add(time.Duration(warmupCalls) * interval)
	result := openResult{
		summary: summarize(latencies, failures, lastEnd.Sub(measureFrom)),
		Offered: int(total - warmupCalls),
		Dropped: dropped,
	}
	return result, firstErr
}
