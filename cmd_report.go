package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/report"
)

// runReport is `tally report`: usage for a period as a table or as the
// ledger in CSV, and optionally a chart, for operators.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	today := time.Now().In(cfg.Zone)
	fs := flag.NewFlagSet("tally report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.String("since", today.AddDate(0, 0, -29).Format(time.DateOnly), "first day, YYYY-MM-DD in TALLY_TIMEZONE")
	until := fs.String("until", today.Format(time.DateOnly), "last day, YYYY-MM-DD in TALLY_TIMEZONE")
	guild := fs.String("guild", "", "one server's ID (\"dm\" for direct messages); empty means every server")
	format := fs.String("format", "table", "table (a summary) or csv (every ledger row)")
	chart := fs.String("chart", "", "also write a PNG chart of daily cost and top members to this file")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	period := report.Period{Since: *since, Until: *until}
	if _, err := period.Days(); err != nil {
		return &usageError{err.Error()}
	}
	if *format != "table" && *format != "csv" {
		return &usageError{fmt.Sprintf("unknown report format %q: use table or csv", *format)}
	}

	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	if *format == "csv" {
		if err := report.WriteLedgerCSV(ctx, db, stdout, *guild, period); err != nil {
			return err
		}
	}
	if *format == "table" || *chart != "" {
		summary, err := report.Summarize(ctx, db, *guild, period, 10)
		if err != nil {
			return err
		}
		if *format == "table" {
			if err := report.WriteTable(stdout, summary); err != nil {
				return err
			}
		}
		if *chart != "" {
			title := "Tally usage, all servers"
			if *guild != "" {
				title = "Tally usage, server " + *guild
			}
			png, err := report.Chart(summary, title)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*chart, png, 0o644); err != nil {
				return fmt.Errorf("write chart: %w", err)
			}
		}
	}
	return nil
}
