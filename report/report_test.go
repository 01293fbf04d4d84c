package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/report"
)

// seed records settled calls through the meter on three days of December
// 2026: alice makes three image calls at $0.04, bob one at $0.04 and one
// variation at $0.10, all in server 555, and carol one call in server 666.
func seed(t *testing.T, db *bun.DB) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []struct {
		endpoint int64
		cost     models.MicroUSD
	}{{1, 40_000}, {2, 100_000}} {
		price := &models.Price{EndpointID: p.endpoint, Model: "flat", Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), PerRequest: p.cost}
		if _, err := db.NewInsert().Model(price).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	calls := []struct {
		day        int
		user, name string
		guild      string
		endpoint   string
	}{
		{1, "333", "alice", "555", models.EndpointImagesGenerate},
		{1, "333", "alice", "555", models.EndpointImagesGenerate},
		{2, "333", "alice", "555", models.EndpointImagesGenerate},
		{2, "444", "bob", "555", models.EndpointImagesGenerate},
		{3, "444", "bob", "555", models.EndpointImagesVariation},
		{3, "888", "carol", "666", models.EndpointImagesGenerate},
	}
	for i, c := range calls {
		now := time.Date(2026, 12, c.day, 12, 0, 0, 0, time.UTC)
		meter := metering.New(db, metering.Options{Now: func() time.Time { return now }})
		r, err := meter.Admit(ctx, metering.Charge{
			InteractionID: fmt.Sprintf("i%d", i),
			Caller:        metering.Caller{DiscordUserID: c.user, Username: c.name, GuildID: c.guild, ChannelID: "222"},
			Endpoint:      c.endpoint,
			Model:         "flat",
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := meter.Settle(ctx, r, metering.Outcome{Units: 1, RequestID: fmt.Sprintf("req_%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

var december = report.Period{Since: "2026-12-01", Until: "2026-12-07"}

func TestSummarizeOneServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		seed(t, db)
		s, err := report.Summarize(context.Background(), db, "555", december, 10)
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 5 || s.Cost != 260_000 {
			t.Errorf("totals = %d requests, %s; want 5 and $0.26", s.Requests, s.Cost)
		}
		if len(s.Top) != 2 || s.Top[0].Username != "bob" || s.Top[0].Cost != 140_000 || s.Top[1].Username != "alice" || s.Top[1].Cost != 120_000 {
			t.Errorf("top members = %+v, want bob $0.14 then alice $0.12", s.Top)
		}
		for _, m := range s.Top {
			if m.Username == "carol" {
				t.Errorf("server 555's summary shows carol of server 666")
			}
		}
	})
}

func TestSummarizeAllServers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		seed(t, db)
		s, err := report.Summarize(context.Background(), db, "", december, 10)
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 6 || s.Cost != 300_000 || len(s.Top) != 3 {
			t.Errorf("totals = %d requests, %s, %d members; want 6, $0.30, 3", s.Requests, s.Cost, len(s.Top))
		}
	})
}

func TestLedgerCSVIsExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		seed(t, db)
		var buf bytes.Buffer
		if err := report.WriteLedgerCSV(context.Background(), db, &buf, "555", december); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("parse CSV: %v", err)
		}
		if len(records) != 6 {
			t.Fatalf("%d records, want a header and 5 rows", len(records))
		}
		header := records[0]
		col := func(name string) int {
			for i, h := range header {
				if h == name {
					return i
				}
			}
			t.Fatalf("no column %s", name)
			return -1
		}
		last := records[5]
		if last[col("username")] != "bob" || last[col("cost_usd")] != "0.100000" || last[col("endpoint")] != models.EndpointImagesVariation ||
			last[col("day")] != "2026-12-03" || last[col("status")] != "settled" || last[col("openai_request_id")] != "req_4" {
			t.Errorf("last row = %v", last)
		}
		for _, r := range records[1:] {
			if r[col("guild_id")] != "555" {
				t.Errorf("row from server %s in server 555's export", r[col("guild_id")])
			}
		}
	})
}

func TestChartDrawsData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		seed(t, db)
		s, err := report.Summarize(context.Background(), db, "555", december, 10)
		if err != nil {
			t.Fatal(err)
		}
		b, err := report.Chart(s, "Server 555")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("chart is not a PNG: %v", err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1000 || h != 740 {
			t.Errorf("chart is %d×%d, want 1000×740 (daily chart above top members)", w, h)
		}
		// The bars are drawn in colour; a blank chart would be white and grey.
		coloured := 0
		for y := 0; y < img.Bounds().Dy(); y += 2 {
			for x := 0; x < img.Bounds().Dx(); x += 2 {
				r, g, b, _ := img.At(x, y).RGBA()
				if max(r, g, b)-min(r, g, b) > 0x3000 {
					coloured++
				}
			}
		}
		if coloured < 500 {
			t.Errorf("only %d coloured pixels: the chart draws no bars", coloured)
		}
		if dir := os.Getenv("TALLY_CHART_DIR"); dir != "" {
			os.WriteFile(dir+"/chart-"+strings.ReplaceAll(t.Name(), "/", "-")+".png", b, 0o644)
		}
	})
}

func TestPeriodDays(t *testing.T) {
	days, err := report.Period{Since: "2026-02-27", Until: "2026-03-02"}.Days()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(days, ",") != "2026-02-27,2026-02-28,2026-03-01,2026-03-02" {
		t.Errorf("days = %v", days)
	}
	if _, err := (report.Period{Since: "2026-03-02", Until: "2026-03-01"}).Days(); err == nil {
		t.Error("a period ending before it starts was accepted")
	}
}

// TestChartOneDayTwoEndpoints draws a single day on which two endpoints
// were used, the shape /usage shows for "today".
func TestChartOneDayTwoEndpoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		seed(t, db)
		s, err := report.Summarize(context.Background(), db, "", report.Period{Since: "2026-12-03", Until: "2026-12-03"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Daily) != 2 {
			t.Fatalf("daily rows = %+v, want the two endpoints of 2026-12-03", s.Daily)
		}
		b, err := report.Chart(s, "One day")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("chart is not a PNG: %v", err)
		}
		if dir := os.Getenv("TALLY_CHART_DIR"); dir != "" {
			os.WriteFile(dir+"/chart-"+strings.ReplaceAll(t.Name(), "/", "-")+".png", b, 0o644)
		}
	})
}
