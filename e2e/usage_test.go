package e2e

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// imagineCost is what the fake OpenAI's usage for one default image
// costs at the seeded gpt-image-2 prices.
func imagineCost(prompt string) models.MicroUSD {
	return gptImage2Cost(int64(fakeopenai.PromptTokens(prompt)), int64(fakeopenai.ImageOutputTokens("", "")))
}

// runImagine sends /imagine and waits for its image.
func (e *env) runImagine(user fakediscord.User, guildID, prompt string) models.MicroUSD {
	e.t.Helper()
	in := e.send(imagineBy(user, guildID, prompt))
	if edits := e.waitEdits(in, 1, 20*time.Second); len(edits[0].Files) != 1 {
		e.t.Fatalf("/imagine by %s in %q sent %d files, want 1", user.Username, guildID, len(edits[0].Files))
	}
	return imagineCost(prompt)
}

// TestUsageReports checks /usage for oneself, for another member as a
// moderator and as a plain member, the server summary, and a DM.
func TestUsageReports(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=10"}})

			alice555 := e.runImagine(member, "555", "a red cube") + e.runImagine(member, "555", "a blue cube on a table")
			alice666 := e.runImagine(member, "666", "a green cube")
			bob555 := e.runImagine(bob, "555", "a yellow cube")
			bob666 := e.runImagine(bob, "666", "a very large purple cube")

			own := e.ephemeralReply(slash(member, memberPerms, "usage"))
			wantText(t, "own usage", own,
				"Your usage, today", "in this server",
				"Total: 2 requests · "+alice555.String(),
				"Images (/imagine): 2 requests · "+alice555.String(),
				"Requests: 2 of 10 used today (Tally's default)")
			wantNoText(t, "own usage", own, (alice555 + alice666).String(), "bob")

			notMod := e.ephemeralReply(slash(member, memberPerms, "usage", fakediscord.UserOption("member", bob)))
			wantText(t, "a member naming another", notMod, "You can see only your own usage")
			wantNoText(t, "a member naming another", notMod, bob555.String())

			byMod := e.ephemeralReply(slash(modUser, moderatorPerm, "usage", fakediscord.UserOption("member", bob), fakediscord.StringOption("period", "30d")))
			wantText(t, "a moderator naming bob", byMod,
				"Usage of bob, the last 30 days", "<@444> (bob)",
				"Total: 1 request · "+bob555.String(),
				"Requests: 1 of 10 used today")
			wantNoText(t, "a moderator naming bob", byMod, (bob555 + bob666).String(), "2 requests")

			summaryIn := slash(modUser, moderatorPerm, "usage", fakediscord.BooleanOption("server", true), fakediscord.StringOption("period", "month"))
			summary := e.ephemeralReply(summaryIn)
			checkSummaryFiles(t, e, summaryIn, []string{"alice", "alice", "bob"}, alice555+bob555)
			wantText(t, "server summary", summary,
				"Server usage, this month",
				"Total: 3 requests · "+(alice555+bob555).String(),
				"1. <@333> (alice): 2 requests · "+alice555.String(),
				"2. <@444> (bob): 1 request · "+bob555.String(),
				"No cap is set for this server.")
			wantNoText(t, "server summary", summary, "5 requests")

			memberSummary := e.ephemeralReply(slash(member, memberPerms, "usage", fakediscord.BooleanOption("server", true)))
			wantText(t, "server summary for a member", memberSummary, "Only moderators and server managers can see the server summary")

			dm := e.ephemeralReply(fakediscord.DMCommand("778", member, "usage", fakediscord.StringOption("period", "7d")))
			wantText(t, "own usage in a DM", dm,
				"Your usage, the last 7 days", "in every server and in DMs",
				"Total: 3 requests · "+(alice555+alice666).String(),
				"Limits in DMs now", "Requests: 0 of 10 used today")
			dmOther := e.ephemeralReply(fakediscord.DMCommand("778", member, "usage", fakediscord.UserOption("member", bob)))
			wantText(t, "naming a member in a DM", dmOther, "In a DM you can see only your own usage")
		})
	}
}

// TestHelpByRole checks that /help lists member commands for everyone,
// moderator commands only for moderators, and the caller's limits.
func TestHelpByRole(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=10", "TALLY_DEFAULT_DAILY_BUDGET_USD=2", operatorEnv}})
			spent := e.runImagine(member, "555", "a red cube")

			forMember := e.ephemeralReply(slash(member, memberPerms, "help"))
			wantText(t, "help for a member", forMember,
				"`/imagine`", "`/usage`", "`/help`",
				"Your limits in this server",
				"Requests: 1 of 10 used today (Tally's default)",
				"Budget: "+spent.String()+" of $2.00 spent today")
			wantNoText(t, "help for a member", forMember, "/blacklist", "/ratelimit", "/budget", "Moderator commands", "global")

			forModerator := e.ephemeralReply(slash(modUser, moderatorPerm, "help"))
			wantText(t, "help for a moderator", forModerator,
				"`/imagine`", "Moderator commands",
				"`/blacklist add`", "`/ratelimit set`", "`/budget show`", "`/usage server`",
				"Requests: 0 of 10 used today")
			wantNoText(t, "help for a moderator", forModerator, "As a server manager", "As an operator")

			forManager := e.ephemeralReply(slash(managerUser, managerPerm, "help"))
			wantText(t, "help for a manager", forManager, "`/budget set`", "As a server manager")

			forOperator := e.ephemeralReply(slash(operatorUser, memberPerms, "help"))
			wantText(t, "help for the operator", forOperator, "`/blacklist add`", "As an operator, add `global`")

			inDM := e.ephemeralReply(fakediscord.DMCommand("779", modUser, "help"))
			wantText(t, "help in a DM", inDM, "`/imagine`", "Your limits in DMs")
			wantNoText(t, "help in a DM", inDM, "/blacklist", "Moderator commands")
		})
	}
}

// checkSummaryFiles checks the chart and the ledger CSV attached to a
// server summary: the chart is a PNG wide enough to read, and the CSV
// holds exactly the server's calls, whose costs add up to total.
func checkSummaryFiles(t *testing.T, e *env, in fakediscord.Interaction, wantMembers []string, total models.MicroUSD) {
	t.Helper()
	edits := e.waitEdits(in, 1, 20*time.Second)
	var chart, ledger []byte
	for _, f := range edits[len(edits)-1].Files {
		switch {
		case f.Name == "usage-chart.png" && f.ContentType == "image/png":
			chart = f.Data
		case strings.HasSuffix(f.Name, ".csv") && f.ContentType == "text/csv":
			ledger = f.Data
		}
	}
	img, err := png.Decode(bytes.NewReader(chart))
	if err != nil {
		t.Fatalf("the summary's chart is not a PNG: %v", err)
	}
	if img.Bounds().Dx() < 800 {
		t.Errorf("chart is %d pixels wide, want at least 800", img.Bounds().Dx())
	}
	records, err := csv.NewReader(bytes.NewReader(ledger)).ReadAll()
	if err != nil || len(records) < 1 {
		t.Fatalf("the summary's CSV does not parse: %v", err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	var members []string
	var sum models.MicroUSD
	for _, r := range records[1:] {
		if r[col["status"]] != "settled" {
			continue
		}
		members = append(members, r[col["username"]])
		cost, err := models.ParseUSD(r[col["cost_usd"]])
		if err != nil {
			t.Fatalf("cost %q: %v", r[col["cost_usd"]], err)
		}
		sum += cost
		if r[col["guild_id"]] != "555" {
			t.Errorf("the CSV holds a call of server %s", r[col["guild_id"]])
		}
	}
	slices.Sort(members)
	if strings.Join(members, ",") != strings.Join(wantMembers, ",") {
		t.Errorf("CSV rows are from %v, want %v", members, wantMembers)
	}
	if sum != total {
		t.Errorf("CSV costs add up to %s, want %s", sum, total)
	}
}
