package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tallybot/tally/demo"
)

// runDemo is `tally demo`: a scripted session against the project's fakes,
// with no Discord or OpenAI credentials.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tally demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "tally-demo", "folder for the demo's database, log and chart")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return demo.Run(ctx, *dir, stdout, func(ctx context.Context, getenv func(string) string, logs io.Writer) error {
		return runBot(ctx, getenv, logs)
	})
}
