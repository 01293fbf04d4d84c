package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

var (
	member = fakediscord.User{ID: "333", Username: "alice"}
	// memberPerms is what a plain member holds in a channel: view, send,
	// attach files, use application commands.
	memberPerms = "2147601408"
)

// gptImage2Cost prices image tokens at the seeded gpt-image-2 rates, $5
// per million text input tokens and $30 per million image output tokens,
// rounded half up to a whole micro-dollar.
func gptImage2Cost(textIn, imageOut int64) models.MicroUSD {
	total := textIn*5_000_000 + imageOut*30_000_000
	return models.MicroUSD((total + 500_000) / 1_000_000)
}

func imagineIn(guild bool, prompt string, opts ...fakediscord.Option) fakediscord.Interaction {
	all := append([]fakediscord.Option{fakediscord.StringOption("prompt", prompt)}, opts...)
	if guild {
		return fakediscord.GuildCommand("555", "222", member, memberPerms, "imagine", all...)
	}
	return fakediscord.DMCommand("777", member, "imagine", all...)
}

// TestImagineInServerAndDM runs /imagine from a server member and from the
// same user in a DM, and checks the Discord exchange and the records.
func TestImagineInServerAndDM(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			ctx := context.Background()

			guildIn := e.send(imagineIn(true, "a red cube", fakediscord.StringOption("size", "1024x1024"), fakediscord.StringOption("quality", "medium")))
			guildEdits := e.waitEdits(guildIn, 1, 20*time.Second)
			dmIn := e.send(imagineIn(false, "a blue sphere", fakediscord.IntegerOption("count", 2)))
			dmEdits := e.waitEdits(dmIn, 1, 20*time.Second)

			checkDeferredThenOneImageEdit(t, e, guildIn, guildEdits, 1)
			checkDeferredThenOneImageEdit(t, e, dmIn, dmEdits, 2)

			// One user row for 333, whichever way the ID arrived.
			var users []models.User
			if err := e.db.NewSelect().Model(&users).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(users) != 1 || users[0].DiscordUserID != "333" || users[0].Username != "alice" {
				t.Errorf("users = %+v, want one row for 333", users)
			}

			var ledger []models.LedgerEntry
			if err := e.db.NewSelect().Model(&ledger).Order("id").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(ledger) != 2 {
				t.Fatalf("ledger has %d rows, want 2", len(ledger))
			}
			wantGuild := gptImage2Cost(int64(fakeopenai.PromptTokens("a red cube")), int64(fakeopenai.ImageOutputTokens("1024x1024", "medium")))
			wantDM := gptImage2Cost(int64(fakeopenai.PromptTokens("a blue sphere")), 2*int64(fakeopenai.ImageOutputTokens("", "")))
			checkLedgerRow(t, ledger[0], guildIn.ID, "555", wantGuild, 1)
			checkLedgerRow(t, ledger[1], dmIn.ID, models.DMGuildID, wantDM, 2)

			var rollups []models.EndpointUserUsage
			if err := e.db.NewSelect().Model(&rollups).Order("guild_id").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(rollups) != 2 {
				t.Fatalf("member roll-ups = %+v, want one for 555 and one for dm", rollups)
			}
			byGuild := map[string]models.EndpointUserUsage{}
			for _, r := range rollups {
				byGuild[r.GuildID] = r
			}
			if r := byGuild["555"]; r.Usage != 1 || r.Cost != wantGuild || r.Endpoint != models.EndpointImagesGenerate {
				t.Errorf("server roll-up = %+v, want 1 request at %s", r, wantGuild)
			}
			if r := byGuild[models.DMGuildID]; r.Usage != 1 || r.Cost != wantDM {
				t.Errorf("DM roll-up = %+v, want 1 request at %s", r, wantDM)
			}
			var server []models.EndpointUsage
			if err := e.db.NewSelect().Model(&server).Where("guild_id = '555'").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(server) != 1 || server[0].Usage != 1 || server[0].Cost != wantGuild {
				t.Errorf("server usage = %+v", server)
			}

			if err := e.stop(); err != nil {
				t.Errorf("tally did not exit cleanly on SIGTERM: %v", err)
			}
			if unexpected := e.discord.Unexpected(); len(unexpected) > 0 {
				t.Errorf("bot made requests the fake Discord refused: %+v", unexpected)
			}
		})
	}
}

// checkDeferredThenOneImageEdit checks that the interaction's first call
// was a deferred response, followed by exactly one edit carrying n PNGs.
func checkDeferredThenOneImageEdit(t *testing.T, e *env, in fakediscord.Interaction, edits []fakediscord.Request, n int) {
	t.Helper()
	calls := e.requestsFor(in)
	if len(calls) != 2 {
		t.Fatalf("interaction %s: %d Discord calls, want a callback then one edit: %+v", in.ID, len(calls), routes(calls))
	}
	var callback struct {
		Type int `json:"type"`
	}
	if err := calls[0].Decode(&callback); err != nil || !strings.HasSuffix(calls[0].Path, "/callback") || callback.Type != 5 {
		t.Errorf("first call = %s %s type %d, want a type 5 callback", calls[0].Method, calls[0].Path, callback.Type)
	}
	if calls[0].Status >= 300 || calls[1].Status >= 300 {
		t.Errorf("Discord refused a call: %d then %d", calls[0].Status, calls[1].Status)
	}
	edit := edits[0]
	if len(edit.Files) != n {
		t.Fatalf("edit carries %d files, want %d", len(edit.Files), n)
	}
	for i, f := range edit.Files {
		wantName := "image-" + string(rune('1'+i)) + ".png"
		if f.Name != wantName || f.ContentType != "image/png" {
			t.Errorf("file %d = %q (%s), want %s (image/png)", i, f.Name, f.ContentType, wantName)
		}
		if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil {
			t.Errorf("file %d is not a PNG: %v", i, err)
		}
	}
	var payload struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(edit.JSON, &payload); err != nil {
		t.Fatalf("decode edit payload: %v", err)
	}
	if !strings.Contains(payload.Content, "Cost: $") {
		t.Errorf("edit content %q does not show the cost", payload.Content)
	}
}

func checkLedgerRow(t *testing.T, row models.LedgerEntry, interactionID, guildID string, cost models.MicroUSD, units int) {
	t.Helper()
	if row.InteractionID != interactionID || row.GuildID != guildID || row.Step != 0 {
		t.Errorf("ledger row keys = %s/%d in %s, want %s/0 in %s", row.InteractionID, row.Step, row.GuildID, interactionID, guildID)
	}
	if row.Status != models.StatusSettled || row.Cost != cost || row.Units != units {
		t.Errorf("ledger row = %s, %d µ$, %d images; want settled, %d µ$, %d", row.Status, row.Cost, row.Units, cost, units)
	}
	if row.PriceID == nil || row.OpenAIRequestID == "" || row.Endpoint != models.EndpointImagesGenerate || row.Model != "gpt-image-2" {
		t.Errorf("ledger row price %v request %q endpoint %s model %s", row.PriceID, row.OpenAIRequestID, row.Endpoint, row.Model)
	}
}

func routes(reqs []fakediscord.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
