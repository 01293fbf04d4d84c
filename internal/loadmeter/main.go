// Command loadmeter drives Tally's metering core (metering.Meter's Admit
// then Settle, two transactions per call) against a database and prints
// the calls per second and latency percentiles it measured. bench/run.sh
// runs it beside pgbench, and BENCHMARKS.md at the repository root
// records the results.
//
// It is a main package rather than a test helper because a benchmark run
// lasts minutes, is driven by flags from a shell script, and must print
// one parsable line per phase, none of which suits go test.
//
// Modes:
//
//	closed  -callers goroutines call back to back (-callers 1 is one caller).
//	open    calls start on a wall-clock schedule of -rate per second.
//	sql     makes one admission and one settlement and prints the SQL
//	        statements they sent, as the server received them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadmeter:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	databaseURL string
	mode        string
	workload    workloadConfig
	dailyBudget string
	globalCap   string
	callers     int
	rate        float64
	workers     int
	warmup      time.Duration
	duration    time.Duration
	grace       time.Duration
	statements  bool
	maxIdle     int
}

func parseFlags(args []string, output io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadmeter", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "database to meter against: postgres://...?sslmode=disable or a SQLite path (default $DATABASE_URL)")
	fs.StringVar(&o.mode, "mode", "closed", "closed, open or sql")
	fs.StringVar(&o.workload.Run, "run", "", "prefix of member and interaction IDs; default: the mode and the current time")
	fs.IntVar(&o.workload.Members, "members", 1000, "distinct members the calls rotate through")
	fs.IntVar(&o.workload.Guilds, "guilds", 1, "servers the members are spread over")
	fs.IntVar(&o.workload.DailyRequests, "daily-requests", 1_000_000, "default requests per member per day (0 = no limit, which skips the count)")
	fs.StringVar(&o.dailyBudget, "daily-budget-usd", "1000000", "default budget per member per day in USD (0 = none, which skips the sum)")
	fs.StringVar(&o.globalCap, "global-monthly-budget-usd", "0", "operator-wide monthly budget in USD (0 = none); when set every admission takes one shared lock")
	fs.IntVar(&o.callers, "callers", 1, "closed mode: concurrent callers")
	fs.Float64Var(&o.rate, "rate", 1000, "open mode: calls started per second")
	fs.IntVar(&o.workers, "workers", 64, "open mode: calls in flight at most")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured run before the measured part")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured part of the run")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "open mode: how long queued calls may still start after the schedule ends")
	fs.IntVar(&o.maxIdle, "max-idle-conns", 0, "diagnosis only: keep this many idle connections instead of what models.Open sets (0 = leave it)")
	fs.BoolVar(&o.statements, "statements", false, "also print the client-side time of each SQL statement (slows the run a little)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}

	if o.databaseURL == "" {
		return options{}, errors.New("no database: set -database-url or DATABASE_URL")
	}
	var err error
	if o.workload.DailyBudget, err = models.ParseUSD(o.dailyBudget); err != nil {
		return options{}, fmt.Errorf("invalid -daily-budget-usd %q: %w", o.dailyBudget, err)
	}
	if o.workload.GlobalMonthlyBudget, err = models.ParseUSD(o.globalCap); err != nil {
		return options{}, fmt.Errorf("invalid -global-monthly-budget-usd %q: %w", o.globalCap, err)
	}
	switch {
	case o.mode != "closed" && o.mode != "open" && o.mode != "sql":
		return options{}, fmt.Errorf("invalid -mode %q: use closed, open or sql", o.mode)
	case o.callers < 1:
		return options{}, fmt.Errorf("invalid -callers %d: need at least 1", o.callers)
	case o.workload.Members < 1 || o.workload.Members%o.callers != 0:
		return options{}, fmt.Errorf("invalid -members %d: need a multiple of -callers (%d), so that no two callers share a member", o.workload.Members, o.callers)
	case o.workload.Guilds < 1:
		return options{}, fmt.Errorf("invalid -guilds %d: need at least 1", o.workload.Guilds)
	case o.rate <= 0:
		return options{}, fmt.Errorf("invalid -rate %g: need a positive rate", o.rate)
	case o.workers < 1:
		return options{}, fmt.Errorf("invalid -workers %d: need at least 1", o.workers)
	case o.duration <= 0:
		return options{}, fmt.Errorf("invalid -duration %s: need a positive duration", o.duration)
	}
	if o.workload.Run == "" {
		o.workload.Run = fmt.Sprintf("%s%d", o.mode, time.Now().Unix())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}

	db, err := models.Open(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db); err != nil {
		return err
	}
	if o.maxIdle > 0 {
		db.SetMaxIdleConns(o.maxIdle)
	}
	var timer *statementTimer
	if o.statements {
		timer = newStatementTimer()
		db.AddQueryHook(timer)
	}
	w := newWorkload(db, o.workload)

	labels := fmt.Sprintf("mode=%s run=%s members=%d guilds=%d", o.mode, o.workload.Run, o.workload.Members, o.workload.Guilds)
	var callErr error
	switch o.mode {
	case "sql":
		recorder := &statementRecorder{}
		db.AddQueryHook(recorder)
		return printStatements(ctx, stdout, w, recorder)
	case "closed":
		phase := closedLoop{Callers: o.callers, Members: o.workload.Members, Warmup: o.warmup, Duration: o.duration}
		var s summary
		s, callErr = phase.run(ctx, w.call)
		fmt.Fprintln(stdout, s.format(fmt.Sprintf("%s callers=%d", labels, o.callers)))
	case "open":
		phase := openLoop{Rate: o.rate, Members: o.workload.Members, Workers: o.workers, Warmup: o.warmup, Duration: o.duration, Grace: o.grace}
		var r openResult
		r, callErr = phase.run(ctx, w.call)
		fmt.Fprintln(stdout, r.format(fmt.Sprintf("%s offered_per_s=%g workers=%d offered=%d dropped=%d", labels, o.rate, o.workers, r.Offered, r.Dropped)))
	default:
		return fmt.Errorf("invalid -mode %q: use closed, open or sql", o.mode)
	}
	if timer != nil {
		timer.print(stdout)
	}
	if callErr != nil {
		return fmt.Errorf("some calls failed, the first with: %w", callErr)
	}
	return nil
}

// printStatements makes one admission and one settlement by member 0 and
// prints the statements each transaction sent.
func printStatements(ctx context.Context, stdout io.Writer, w *workload, recorder *statementRecorder) error {
	reservation, err := w.admit(ctx, 0, 0)
	if err != nil {
		return err
	}
	admitted := recorder.take()
	if err := w.settle(ctx, reservation); err != nil {
		return err
	}
	settled := recorder.take()

	fmt.Fprintln(stdout, "-- admit")
	for _, s := range admitted {
		fmt.Fprintln(stdout, strings.TrimSpace(s)+";")
	}
	fmt.Fprintln(stdout, "-- settle")
	for _, s := range settled {
		fmt.Fprintln(stdout, strings.TrimSpace(s)+";")
	}
	return nil
}
