package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sleepingCall returns a call that takes at least d.
func sleepingCall(d time.Duration) callFunc {
	return func(ctx context.Context, member int, seq int64) error {
		time.Sleep(d)
		return nil
	}
}

// TestOpenLoopCountsQueueing offers calls twice as fast as one worker can
// make them. Call k is due at k ms and cannot finish before 2(k+1) ms, so
// its latency from the due time is at least k+2 ms. The median is
// therefore at least 100 ms, although each call takes about 2 ms once
// started.
func TestOpenLoopCountsQueueing(t *testing.T) {
	phase := openLoop{Rate: 1000, Members: 10, Workers: 1, Duration: 200 * time.Millisecond, Grace: time.Minute}

	got, err := phase.run(context.Background(), sleepingCall(2*time.Millisecond))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got.Offered != 200 {
		t.Errorf("Offered = %d, want 200", got.Offered)
	}
	if got.Calls != 200 {
		t.Errorf("Calls = %d, want 200", got.Calls)
	}
	if got.P50 < 100*time.Millisecond {
		t.Errorf("P50 = %s, want at least 100ms: the time queued behind earlier calls is missing", got.P50)
	}
	if got.Max < 200*time.Millisecond {
		t.Errorf("Max = %s, want at least 200ms", got.Max)
	}
}

// TestOpenLoopDropsLateCalls gives queued calls no grace: with one worker
// and calls of at least 10 ms, at most 11 of the 100 calls due in the
// first 100 ms can start, and the rest are dropped, not measured.
func TestOpenLoopDropsLateCalls(t *testing.T) {
	phase := openLoop{Rate: 1000, Members: 10, Workers: 1, Duration: 100 * time.Millisecond}

	got, err := phase.run(context.Background(), sleepingCall(10*time.Millisecond))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got.Calls+got.Dropped != got.Offered {
		t.Errorf("Calls %d + Dropped %d = %d, want Offered %d", got.Calls, got.Dropped, got.Calls+got.Dropped, got.Offered)
	}
	if got.Dropped < 89 {
		t.Errorf("Dropped = %d, want at least 89", got.Dropped)
	}
}

func TestOpenLoopSkipsWarmup(t *testing.T) {
	var started atomic.Int64
	call := func(ctx context.Context, member int, seq int64) error {
		started.Add(1)
		return nil
	}
	phase := openLoop{Rate: 1000, Members: 10, Workers: 4, Warmup: 50 * time.Millisecond, Duration: 100 * time.Millisecond, Grace: time.Minute}

	got, err := phase.run(context.Background(), call)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if started.Load() != 150 {
		t.Errorf("calls started = %d, want 150", started.Load())
	}
	if got.Calls != 100 {
		t.Errorf("Calls = %d, want the 100 due after the warm-up", got.Calls)
	}
}

func TestOpenLoopReturnsFirstError(t *testing.T) {
	failure := errors.New("database is down")
	call := func(ctx context.Context, member int, seq int64) error {
		if seq%2 == 1 {
			return fmt.Errorf("call %d: %w", seq, failure)
		}
		return nil
	}
	phase := openLoop{Rate: 1000, Members: 10, Workers: 2, Duration: 20 * time.Millisecond, Grace: time.Minute}

	got, err := phase.run(context.Background(), call)
	if !errors.Is(err, failure) {
		t.Errorf("run error = %v, want %v", err, failure)
	}
	if got.Errors != 10 {
		t.Errorf("Errors = %d, want 10", got.Errors)
	}
	if got.Calls != 10 {
		t.Errorf("Calls = %d, want the 10 that succeeded", got.Calls)
	}
}

// TestClosedLoopNeverSharesMember checks that no two calls in flight at
// once are made by the same member and that no member and sequence
// number pair, which names the interaction, repeats.
func TestClosedLoopNeverSharesMember(t *testing.T) {
	const callers, members = 4, 8
	var inFlight [members]atomic.Int32
	var mu sync.Mutex
	seen := map[[2]int64]bool{}
	var shared, repeated atomic.Int32
	call := func(ctx context.Context, member int, seq int64) error {
		if inFlight[member].Add(1) > 1 {
			shared.Add(1)
		}
		defer inFlight[member].Add(-1)
		mu.Lock()
		key := [2]int64{int64(member), seq}
		if seen[key] {
			repeated.Add(1)
		}
		seen[key] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return nil
	}
	phase := closedLoop{Callers: callers, Members: members, Duration: 100 * time.Millisecond}

	got, err := phase.run(context.Background(), call)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := shared.Load(); n != 0 {
		t.Errorf("%d calls overlapped another call by the same member", n)
	}
	if n := repeated.Load(); n != 0 {
		t.Errorf("%d member and sequence pairs repeated", n)
	}
	if len(seen) != got.Calls {
		t.Errorf("distinct calls = %d, want Calls = %d", len(seen), got.Calls)
	}
	// A caller starts calls for 100 ms, and each takes at least 1 ms, so
	// it makes at most 100 of them.
	if got.Calls < callers || got.Calls > callers*100 {
		t.Errorf("Calls = %d, want between %d and %d", got.Calls, callers, callers*100)
	}
	if got.Elapsed < 100*time.Millisecond {
		t.Errorf("Elapsed = %s, want at least the 100ms duration", got.Elapsed)
	}
}

func TestClosedLoopSkipsWarmup(t *testing.T) {
	var started atomic.Int64
	call := func(ctx context.Context, member int, seq int64) error {
		started.Add(1)
		time.Sleep(time.Millisecond)
		return nil
	}
	phase := closedLoop{Callers: 1, Members: 1, Warmup: 50 * time.Millisecond, Duration: 50 * time.Millisecond}

	got, err := phase.run(context.Background(), call)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if int64(got.Calls) >= started.Load() {
		t.Errorf("Calls = %d of %d started, want the warm-up calls left out", got.Calls, started.Load())
	}
}
