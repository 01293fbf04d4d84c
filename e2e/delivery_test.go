package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/models"
)

// TestAttackMarkdownPromptStillDelivers sends prompts within the
// 6,000-character limit whose Markdown escaping doubles their length. The
// member pays for the image, so the image must arrive, with the prompt
// shortened to fit Discord's 2,000 characters of content.
func TestAttackMarkdownPromptStillDelivers(t *testing.T) {
	prompts := map[string]string{
		"underscores": strings.Repeat("_", 1500),
		"mentions":    strings.Repeat("@", 1200),
		"mixed":       strings.Repeat("*a_", 600),
	}
	e := start(t, "sqlite", options{})
	for name, prompt := range prompts {
		t.Run(name, func(t *testing.T) {
			in := e.send(imagineIn(true, prompt))
			e.waitEdits(in, 1, 20*time.Second)
			time.Sleep(500 * time.Millisecond)

			calls := e.requestsFor(in)
			for _, c := range calls {
				if c.Status >= 300 {
					t.Errorf("Discord refused %s: %d %s", c.Route, c.Status, c.Response)
				}
			}
			content, files, _ := originalContent(t, e.discord, in.ID)
			if files != 1 {
				t.Errorf("the response carries %d images, want 1; it reads %q", files, clip(content, 120))
			}
			var row models.LedgerEntry
			if err := e.db.NewSelect().Model(&row).Where("interaction_id = ?", in.ID).Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Logf("ledger row: %s at %d µ$; Discord calls %v", row.Status, row.Cost, callSummary(calls))
		})
	}
}

// TestAttackResultEditRetriedAfterServerError has Discord answer the edit
// that carries the images with a 5xx once. The member has been charged,
// so the images must still reach them.
func TestAttackResultEditRetriedAfterServerError(t *testing.T) {
	for _, status := range []int{500, 503} {
		t.Run(http503Name(status), func(t *testing.T) {
			e := start(t, "sqlite", options{})
			e.discord.Script(fakediscord.RouteOriginalEdit, fakediscord.ServerError(status))

			in := e.send(imagineIn(true, "a red cube"))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := e.discord.WaitRequests(ctx, 2, func(r fakediscord.Request) bool {
				return r.Route == fakediscord.RouteOriginalEdit && strings.Contains(r.Path, in.Token)
			}); err != nil {
				t.Fatalf("fewer than two edits: %v; calls %v", err, callSummary(e.requestsFor(in)))
			}
			time.Sleep(time.Second)

			content, files, _ := originalContent(t, e.discord, in.ID)
			rows := ledgerRows(t, e)
			t.Logf("Discord calls %v", callSummary(e.requestsFor(in)))
			if len(rows) == 1 {
				t.Logf("ledger row: %s at %d µ$", rows[0].Status, rows[0].Cost)
			}
			if files != 1 {
				t.Errorf("after one failed edit the member sees %q with %d images; they were charged %d µ$", content, files, rows[0].Cost)
			}
		})
	}
}

func http503Name(status int) string {
	if status == 500 {
		return "500_json"
	}
	return "503_html"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
