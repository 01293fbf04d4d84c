package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// Who runs the moderation and usage tests. The operator's ID is given to
// tally in TALLY_OWNER_IDS. In server 555 the operator has only a plain
// member's permissions.
var (
	bob           = fakediscord.User{ID: "444", Username: "bob"}
	carol         = fakediscord.User{ID: "445", Username: "carol"}
	modUser       = fakediscord.User{ID: "336", Username: "mod"}
	managerUser   = fakediscord.User{ID: "337", Username: "boss"}
	operatorUser  = fakediscord.User{ID: "999", Username: "operator"}
	otherModUser  = fakediscord.User{ID: "338", Username: "mod666"}
	moderatorPerm = withPermission(memberPerms, discordgo.PermissionModerateMembers)
	managerPerm   = withPermission(memberPerms, discordgo.PermissionManageServer)
	operatorEnv   = "TALLY_OWNER_IDS=" + operatorUser.ID
)

func withPermission(perms string, bit int64) string {
	n, err := strconv.ParseInt(perms, 10, 64)
	if err != nil {
		panic(err)
	}
	return strconv.FormatInt(n|bit, 10)
}

// slash builds a command from user in server 555 with perms.
func slash(user fakediscord.User, perms, name string, options ...fakediscord.Option) fakediscord.Interaction {
	return fakediscord.GuildCommand("555", "222", user, perms, name, options...)
}

// imagineBy builds /imagine from user in guildID, or in a DM when guildID
// is "".
func imagineBy(user fakediscord.User, guildID, prompt string) fakediscord.Interaction {
	if guildID == "" {
		return fakediscord.DMCommand("778", user, "imagine", fakediscord.StringOption("prompt", prompt))
	}
	return fakediscord.GuildCommand(guildID, "222", user, memberPerms, "imagine", fakediscord.StringOption("prompt", prompt))
}

// waitReply waits for the bot's answer to an interaction and returns the
// message the member sees: the response, or the edit of a deferred one.
func (e *env) waitReply(in fakediscord.Interaction) fakediscord.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	state, err := e.discord.WaitResponse(ctx, in.ID)
	if err != nil {
		e.t.Fatalf("no response to /%s: %v\n%s", in.Data.Name, err, e.logs.String())
	}
	if state.Original != nil && state.Original.Loading() {
		e.waitEdits(in, 1, 20*time.Second)
		state, _ = e.discord.Interaction(in.ID)
	}
	if state.Original == nil {
		e.t.Fatalf("/%s has no response message: %+v", in.Data.Name, state)
	}
	return *state.Original
}

// ephemeralReply sends an interaction and returns the text of its reply,
// which must be ephemeral: content, then every embed's title,
// description and fields.
func (e *env) ephemeralReply(in fakediscord.Interaction) string {
	e.t.Helper()
	e.send(in)
	m := e.waitReply(in)
	if !m.Ephemeral() {
		e.t.Errorf("reply to /%s is not ephemeral: %+v", in.Data.Name, m)
	}
	callbacks := 0
	for _, r := range e.requestsFor(in) {
		if r.Status >= 300 {
			e.t.Errorf("Discord refused %s for /%s: %d %s", r.Route, in.Data.Name, r.Status, r.Error)
		}
		if r.Route == fakediscord.RouteInteractionCallback {
			callbacks++
		}
	}
	if callbacks != 1 {
		e.t.Errorf("/%s got %d interaction responses, want 1", in.Data.Name, callbacks)
	}
	var b strings.Builder
	b.WriteString(m.Content)
	for _, embed := range m.Embeds {
		b.WriteString("\n" + embed.Title + "\n" + embed.Description)
		for _, f := range embed.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return b.String()
}

// logEntry is a moderation log row with members as Discord IDs.
type logEntry struct {
	GuildID, Actor, Target, Action, Detail, Reason string
}

// moderationLog reads the moderation log in insertion order.
func (e *env) moderationLog() []logEntry {
	e.t.Helper()
	var rows []struct {
		GuildID string
		Actor   *string
		Target  *string
		Action  string
		Detail  string
		Reason  string
	}
	err := e.db.NewRaw(`
		SELECT l.guild_id, a.discord_user_id AS actor, t.discord_user_id AS target, l.action, l.detail, l.reason
		FROM moderation_log_table AS l
		LEFT JOIN usernames_table AS a ON a.id = l.actor_id
		LEFT JOIN usernames_table AS t ON t.id = l.target_user_id
		ORDER BY l.id`).Scan(context.Background(), &rows)
	if err != nil {
		e.t.Fatalf("read moderation log: %v", err)
	}
	entries := make([]logEntry, len(rows))
	for i, r := range rows {
		entries[i] = logEntry{GuildID: r.GuildID, Action: r.Action, Detail: r.Detail, Reason: r.Reason}
		if r.Actor != nil {
			entries[i].Actor = *r.Actor
		}
		if r.Target != nil {
			entries[i].Target = *r.Target
		}
	}
	return entries
}

// lastLog returns the newest moderation log row and checks how many there
// are.
func (e *env) lastLog(wantCount int) logEntry {
	e.t.Helper()
	entries := e.moderationLog()
	if len(entries) != wantCount {
		e.t.Fatalf("moderation log has %d rows, want %d: %+v", len(entries), wantCount, entries)
	}
	return entries[len(entries)-1]
}

func (e *env) countRows(table, where string) int {
	e.t.Helper()
	var n int
	if err := e.db.NewRaw("SELECT COUNT(*) FROM "+table+" WHERE "+where).Scan(context.Background(), &n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func wantText(t *testing.T, what, got string, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(got, part) {
			t.Errorf("%s does not contain %q:\n%s", what, part, got)
		}
	}
}

func wantNoText(t *testing.T, what, got string, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if strings.Contains(got, part) {
			t.Errorf("%s contains %q:\n%s", what, part, got)
		}
	}
}

// TestBlacklistBlocksImagine blocks a member, checks that /imagine is
// refused with the reason and charged nothing, lists and lifts the block.
func TestBlacklistBlocksImagine(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{operatorEnv}})
			sent := time.Now()

			added := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("add",
				fakediscord.UserOption("member", member), fakediscord.StringOption("reason", "spamming the channel"),
				fakediscord.StringOption("duration", "2h"))))
			wantText(t, "add reply", added, "Member blocked", "<@333>", "spamming the channel")
			got := e.lastLog(1)
			if !strings.HasPrefix(got.Detail, "until ") {
				t.Errorf("log detail = %q, want the end date", got.Detail)
			}
			got.Detail = ""
			if want := (logEntry{GuildID: "555", Actor: modUser.ID, Target: member.ID, Action: models.ActionBlacklistAdd, Reason: "spamming the channel"}); got != want {
				t.Errorf("log row = %+v, want %+v", got, want)
			}
			var entry models.BlacklistEntry
			if err := e.db.NewSelect().Model(&entry).Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if end := entry.Until.Time; end.Before(sent.Add(2*time.Hour-time.Minute)) || end.After(time.Now().Add(2*time.Hour)) {
				t.Errorf("block ends at %v, want two hours after %v", end, sent)
			}

			refused := e.ephemeralReply(imagineBy(member, "555", "a red cube"))
			wantText(t, "refusal", refused, "blocked", "Reason given: spamming the channel", "Nothing was charged")
			if n := len(e.openaiCalls(generationsPath)); n != 0 {
				t.Errorf("%d requests reached OpenAI, want 0", n)
			}
			if n := e.countRows("usage_ledger_table", "status = 'refused' AND cost_micro_usd = 0"); n != 1 {
				t.Errorf("%d refused ledger rows at zero cost, want 1", n)
			}
			if n := e.countRows("endpoint_user_usage_table", "1 = 1"); n != 0 {
				t.Errorf("%d roll-up rows after a refusal, want 0", n)
			}

			listed := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("list")))
			wantText(t, "list", listed, "Blocked in this server (1)", "<@333> (alice)", "spamming the channel", "by <@"+modUser.ID+">")

			lifted := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("remove", fakediscord.UserOption("member", member))))
			wantText(t, "remove reply", lifted, "Block lifted", "<@333>")
			if got := e.lastLog(2); got != (logEntry{GuildID: "555", Actor: modUser.ID, Target: member.ID, Action: models.ActionBlacklistLift, Detail: "lifted 1 entry"}) {
				t.Errorf("lift log row = %+v", got)
			}
			again := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("remove", fakediscord.UserOption("member", member))))
			wantText(t, "second remove", again, "is not blocked in this server")
			e.lastLog(2)

			in := e.send(imagineBy(member, "555", "a red cube"))
			if edits := e.waitEdits(in, 1, 20*time.Second); len(edits[0].Files) != 1 {
				t.Errorf("after the lift /imagine sent %d files, want 1", len(edits[0].Files))
			}
		})
	}
}

// TestRateLimitAndBudgetCommands sets, enforces, lists and clears a rate
// limit, the server's default and a budget, checking each log row.
func TestRateLimitAndBudgetCommands(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{operatorEnv}})

			set := e.ephemeralReply(slash(modUser, moderatorPerm, "ratelimit", fakediscord.Subcommand("set",
				fakediscord.IntegerOption("limit", 1), fakediscord.UserOption("member", member),
				fakediscord.StringOption("per", "day"), fakediscord.StringOption("reason", "one a day"))))
			wantText(t, "set reply", set, "Rate limit set", "1 request per day", "one a day")
			want := logEntry{GuildID: "555", Actor: modUser.ID, Target: member.ID, Action: models.ActionRateLimitSet, Detail: "1 request per day, no end date", Reason: "one a day"}
			if got := e.lastLog(1); got != want {
				t.Errorf("log row = %+v, want %+v", got, want)
			}

			first := e.send(imagineBy(member, "555", "a red cube"))
			e.waitEdits(first, 1, 20*time.Second)
			refused := e.ephemeralReply(imagineBy(member, "555", "a blue cube"))
			wantText(t, "second /imagine", refused, "all 1 of your requests today", "Reason given: one a day", "Nothing was charged")
			if n := len(e.openaiCalls(generationsPath)); n != 1 {
				t.Errorf("%d requests reached OpenAI, want 1", n)
			}

			listed := e.ephemeralReply(slash(modUser, moderatorPerm, "ratelimit", fakediscord.Subcommand("list")))
			wantText(t, "list", listed, "<@333> (alice): 1 request per day", "one a day", "Tally's default: no limit")

			notManager := e.ephemeralReply(slash(modUser, moderatorPerm, "ratelimit", fakediscord.Subcommand("set", fakediscord.IntegerOption("limit", 5))))
			wantText(t, "default by a moderator", notManager, "Only server managers")
			e.lastLog(1)
			byManager := e.ephemeralReply(slash(managerUser, managerPerm, "ratelimit", fakediscord.Subcommand("set", fakediscord.IntegerOption("limit", 5))))
			wantText(t, "default by a manager", byManager, "Members without a limit of their own may make 5 requests per day")
			if got := e.lastLog(2); got != (logEntry{GuildID: "555", Actor: managerUser.ID, Action: models.ActionRateLimitSet, Detail: "5 requests per day, no end date"}) {
				t.Errorf("default log row = %+v", got)
			}

			cleared := e.ephemeralReply(slash(modUser, moderatorPerm, "ratelimit", fakediscord.Subcommand("clear", fakediscord.UserOption("member", member))))
			wantText(t, "clear reply", cleared, "Rate limit cleared", "The server's default of 5 requests per day applies now.")
			if got := e.lastLog(3); got.Action != models.ActionRateLimitClear || got.Target != member.ID || got.Actor != modUser.ID {
				t.Errorf("clear log row = %+v", got)
			}

			var spent models.MicroUSD
			if err := e.db.NewRaw("SELECT COALESCE(SUM(cost_micro_usd), 0) FROM usage_ledger_table").Scan(context.Background(), &spent); err != nil {
				t.Fatal(err)
			}
			budget := e.ephemeralReply(slash(modUser, moderatorPerm, "budget", fakediscord.Subcommand("set",
				fakediscord.StringOption("amount", "2.50"), fakediscord.StringOption("per", "day"), fakediscord.UserOption("member", member))))
			wantText(t, "budget reply", budget, "may spend up to $2.50 per day", "Spent so far today: "+spent.String())
			if got := e.lastLog(4); got != (logEntry{GuildID: "555", Actor: modUser.ID, Target: member.ID, Action: models.ActionBudgetSet, Detail: "$2.50 per day"}) {
				t.Errorf("budget log row = %+v", got)
			}
			shown := e.ephemeralReply(slash(modUser, moderatorPerm, "budget", fakediscord.Subcommand("show", fakediscord.UserOption("member", member))))
			wantText(t, "budget show", shown, "Budget: "+spent.String()+" of $2.50 spent today")

			badAmount := e.ephemeralReply(slash(modUser, moderatorPerm, "budget", fakediscord.Subcommand("set",
				fakediscord.StringOption("amount", "lots"), fakediscord.StringOption("per", "day"), fakediscord.UserOption("member", member))))
			wantText(t, "bad amount", badAmount, `"lots" is not a dollar amount`)
			badDuration := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("add",
				fakediscord.UserOption("member", member), fakediscord.StringOption("reason", "x"), fakediscord.StringOption("duration", "3x"))))
			wantText(t, "bad duration", badDuration, `The duration "3x" is not valid`)
			e.lastLog(4)

			budgetCleared := e.ephemeralReply(slash(modUser, moderatorPerm, "budget", fakediscord.Subcommand("clear", fakediscord.UserOption("member", member))))
			wantText(t, "budget clear", budgetCleared, "Removed 1 budget of <@333>")
			if got := e.lastLog(5); got.Action != models.ActionBudgetClear || got.Detail != "cleared $2.50 per day" {
				t.Errorf("budget clear log row = %+v", got)
			}
			if n := e.countRows("blacklisted_user_table", "1 = 1"); n != 0 {
				t.Errorf("%d blacklist rows after rejected input, want 0", n)
			}
		})
	}
}

// TestModerationPermissions checks that the bot itself refuses members
// without the permission, non-operators using global, moderators acting
// on another server's entries, and the commands in DMs.
func TestModerationPermissions(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{operatorEnv}})

			// Discord's defaults hide the commands in DMs, but the bot
			// checks again on every call.
			registered := map[string]fakediscord.Command{}
			for _, c := range e.discord.Commands("") {
				registered[c.Name] = c
			}
			for _, name := range []string{"blacklist", "ratelimit", "budget"} {
				c, ok := registered[name]
				if !ok {
					t.Errorf("/%s is not registered", name)
				} else if c.DMPermission == nil || *c.DMPermission {
					t.Errorf("/%s dm_permission = %v, want false", name, c.DMPermission)
				} else if c.DefaultMemberPermissions != "1099511627776" {
					t.Errorf("/%s default_member_permissions = %q, want Moderate Members (1099511627776)", name, c.DefaultMemberPermissions)
				}
			}

			// A plain member, to whom a server admin gave the commands.
			for _, in := range []fakediscord.Interaction{
				slash(member, memberPerms, "blacklist", fakediscord.Subcommand("add", fakediscord.UserOption("member", bob), fakediscord.StringOption("reason", "x"))),
				slash(member, memberPerms, "ratelimit", fakediscord.Subcommand("list")),
				slash(member, memberPerms, "budget", fakediscord.Subcommand("show")),
			} {
				got := e.ephemeralReply(in)
				wantText(t, "plain member's /"+in.Data.Name, got, "Only moderators can use /"+in.Data.Name)
			}

			// A moderator of 555 asking for a global entry.
			global := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("add",
				fakediscord.UserOption("member", bob), fakediscord.StringOption("reason", "x"), fakediscord.BooleanOption("global", true))))
			wantText(t, "global by a moderator", global, "Only Tally's operators can use `global`")
			budgetGlobal := e.ephemeralReply(slash(managerUser, managerPerm, "budget", fakediscord.Subcommand("set",
				fakediscord.StringOption("amount", "100"), fakediscord.StringOption("per", "month"), fakediscord.BooleanOption("global", true))))
			wantText(t, "global budget by a manager", budgetGlobal, "Only Tally's operators can use `global`")
			if n := len(e.moderationLog()); n != 0 {
				t.Fatalf("%d log rows after refused changes, want 0", n)
			}

			// The operator blocks bob everywhere, DMs included.
			byOperator := e.ephemeralReply(slash(operatorUser, memberPerms, "blacklist", fakediscord.Subcommand("add",
				fakediscord.UserOption("member", bob), fakediscord.StringOption("reason", "abuse"), fakediscord.BooleanOption("global", true))))
			wantText(t, "global by the operator", byOperator, "in every server and in DMs, no end date")
			if got := e.lastLog(1); got != (logEntry{GuildID: "", Actor: operatorUser.ID, Target: bob.ID, Action: models.ActionBlacklistAdd, Detail: "no end date", Reason: "abuse"}) {
				t.Errorf("global log row = %+v", got)
			}
			dm := e.ephemeralReply(imagineBy(bob, "", "a cat"))
			wantText(t, "bob's /imagine in a DM", dm, "Reason given: abuse")
			modList := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("list")))
			wantNoText(t, "moderator's list", modList, "abuse", "every server")
			opList := e.ephemeralReply(slash(operatorUser, memberPerms, "blacklist", fakediscord.Subcommand("list")))
			wantText(t, "operator's list", opList, "Blocked in every server and in DMs (1)", "<@444> (bob)", "abuse")
			lift := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("remove", fakediscord.UserOption("member", bob))))
			wantText(t, "moderator lifting a global block", lift, "is not blocked in this server")

			// A moderator of 666 blocks carol there. The entry is neither
			// listed nor lifted by 555's moderator.
			in666 := fakediscord.GuildCommand("666", "223", otherModUser, moderatorPerm, "blacklist", fakediscord.Subcommand("add",
				fakediscord.UserOption("member", carol), fakediscord.StringOption("reason", "only in 666")))
			wantText(t, "block in 666", e.ephemeralReply(in666), "Member blocked")
			list555 := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("list")))
			wantText(t, "555's list", list555, "Blocked in this server (0)")
			wantNoText(t, "555's list", list555, "only in 666", "<@445>")
			other := e.ephemeralReply(slash(modUser, moderatorPerm, "blacklist", fakediscord.Subcommand("remove", fakediscord.UserOption("member", carol))))
			wantText(t, "555's moderator lifting 666's block", other, "is not blocked in this server")
			if n := e.countRows("blacklisted_user_table", "guild_id = '666' AND lifted_at IS NULL"); n != 1 {
				t.Errorf("666's entry lifted from 555: %d active entries, want 1", n)
			}
			carolIn := e.send(imagineBy(carol, "555", "a dog"))
			if edits := e.waitEdits(carolIn, 1, 20*time.Second); len(edits[0].Files) != 1 {
				t.Errorf("carol's /imagine in 555 sent %d files, want 1", len(edits[0].Files))
			}

			// Moderation commands in a DM.
			for _, name := range []string{"blacklist", "ratelimit", "budget"} {
				in := fakediscord.DMCommand("779", modUser, name, fakediscord.Subcommand("list"))
				wantText(t, "/"+name+" in a DM", e.ephemeralReply(in), "/"+name+" works only in a server")
			}
			if n := len(e.moderationLog()); n != 2 {
				t.Errorf("%d log rows at the end, want the 2 changes made", n)
			}
		})
	}
}
