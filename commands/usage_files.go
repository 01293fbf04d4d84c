package commands

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/report"
)

// maxCSVBytes keeps the ledger export, with the chart, under Discord's
// 10 MiB upload limit.
const maxCSVBytes = 8 << 20

// serverUsageFiles draws the server's chart for the days and exports the
// period's ledger as CSV (gzipped when large). It returns the files to
// attach and a note for the embed when the ledger is too large to attach.
func serverUsageFiles(ctx context.Context, deps *Deps, guildID string, days dayRange) ([]*discordgo.File, string, error) {
	period := report.Period{Since: days.From, Until: days.To}
	summary, err := report.Summarize(ctx, deps.DB, guildID, period, maxTopMembers)
	if err != nil {
		return nil, "", err
	}
	chart, err := report.Chart(summary, "Server usage, "+days.Label)
	if err != nil {
		return nil, "", err
	}
	files := []*discordgo.File{{Name: "usage-chart.png", ContentType: "image/png", Reader: bytes.NewReader(chart)}}

	var csv bytes.Buffer
	if err := report.WriteLedgerCSV(ctx, deps.DB, &csv, guildID, period); err != nil {
		return nil, "", err
	}
	name := fmt.Sprintf("usage-%s-to-%s.csv", days.From, days.To)
	switch {
	case csv.Len() <= maxCSVBytes:
		files = append(files, &discordgo.File{Name: name, ContentType: "text/csv", Reader: &csv})
	default:
		var packed bytes.Buffer
		zw := gzip.NewWriter(&packed)
		zw.Write(csv.Bytes())
		if err := zw.Close(); err != nil {
			return nil, "", fmt.Errorf("compress ledger export: %w", err)
		}
		if packed.Len() > maxCSVBytes {
			note := fmt.Sprintf("The period's ledger (%d MB) is too large to attach; an operator can export it with `tally report --guild %s --since %s --until %s --format csv`.",
				csv.Len()>>20, guildID, days.From, days.To)
			return files, note, nil
		}
		files = append(files, &discordgo.File{Name: name + ".gz", ContentType: "application/gzip", Reader: &packed})
	}
	return files, "", nil
}
