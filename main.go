// Command tally is a Discord bot that lets a community use OpenAI through
// slash commands while keeping an exact account of who spent what.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `tally: a Discord bot that meters OpenAI use per member, server, endpoint and day

Usage:
  tally run                  connect to the Discord gateway and serve commands
  tally serve                serve commands over the HTTP interactions endpoint
  tally demo [--dir DIR]     play a short session against built-in fakes, no credentials needed
  tally migrate up|down|status
  tally commands sync        register the slash commands and exit
  tally report [--since DAY] [--until DAY] [--guild ID] [--format table|csv] [--chart FILE]
                             usage for a period, as a summary or the ledger in CSV
  tally prices list          show the price table, with its history
  tally prices set --endpoint KEY [--model M] [--from DATE] [--text-input USD] ...
                             add a price; older calls keep the price they were charged

Configuration comes from environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// The flag package has printed the subcommand's flags.
			return
		}
		var usageErr *usageError
		if errors.As(err, &usageErr) {
			fmt.Fprintf(os.Stderr, "tally: %v\n\n%s", err, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "tally: %v\n", err)
		os.Exit(1)
	}
}

// usageError is a command line that names no known command.
type usageError struct{ message string }

func (e *usageError) Error() string { return e.message }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"no command given"}
	}
	switch args[0] {
	case "run":
		return runBot(ctx, getenv, stderr)
	case "serve":
		return runServe(ctx, getenv, stderr)
	case "migrate":
		if len(args) != 2 {
			return &usageError{"migrate takes one of up, down, status"}
		}
		return runMigrate(ctx, args[1], getenv, stdout, stderr)
	case "commands":
		if len(args) != 2 || args[1] != "sync" {
			return &usageError{"commands takes sync"}
		}
		return syncCommands(ctx, getenv, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "report":
		return runReport(ctx, args[1:], getenv, stdout, stderr)
	case "prices":
		return runPrices(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
