package e2e

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// stallDatabase holds a lock that admissions of user 333 wait for, for d:
// on PostgreSQL the user's row, on SQLite the database's write lock. It
// returns once the lock is taken.
func stallDatabase(t *testing.T, e *env, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	if _, err := models.UpsertUser(ctx, e.db, "333", "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	tx, err := e.db.BeginTx(ctx, &sql.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e.db.Dialect().Name().String() == "pg" {
		if _, err := tx.ExecContext(ctx, "SELECT id FROM usernames_table WHERE discord_user_id = '333' FOR UPDATE"); err != nil {
			t.Fatal(err)
		}
	} else if _, err := tx.ExecContext(ctx, "UPDATE usernames_table SET username = username WHERE discord_user_id = '333'"); err != nil {
		// SQLite: the connection opens transactions with BEGIN IMMEDIATE,
		// and this write keeps the lock until the end.
		t.Fatal(err)
	}
	go func(tx bun.Tx) {
		time.Sleep(d)
		tx.Commit()
	}(tx)
}

// TestSlowAdmissionDefersAnyway stalls the database for 2.5 s: admission
// overruns its one-second budget, so the bot defers first and still
// answers with the image once admission completes.
func TestSlowAdmissionDefersAnyway(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			stallDatabase(t, e, 2500*time.Millisecond)

			sent := time.Now()
			in := e.send(imagineIn(true, "a red cube"))
			edits := e.waitEdits(in, 1, 20*time.Second)

			calls := e.requestsFor(in)
			if len(calls) != 2 || calls[0].Route != fakediscord.RouteInteractionCallback {
				t.Fatalf("Discord calls = %v, want the deferral then one edit", routes(calls))
			}
			if wait := calls[0].Time.Sub(sent); wait < 900*time.Millisecond || wait > 2*time.Second {
				t.Errorf("deferral sent %v after the event, want right after the one-second budget", wait)
			}
			if calls[0].Status >= 300 {
				t.Errorf("Discord refused the deferral: %d (code %d)", calls[0].Status, calls[0].Code)
			}
			if len(edits[0].Files) != 1 {
				t.Errorf("edit carries %d files, want the image", len(edits[0].Files))
			}
		})
	}
}

// TestLateRefusalDeletesDeferral stalls the database for a blacklisted
// member: the bot defers after one second, then learns of the refusal,
// deletes the deferred response and explains in an ephemeral follow-up.
func TestLateRefusalDeletesDeferral(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			ctx := context.Background()
			user, err := models.UpsertUser(ctx, e.db, "333", "alice", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			entry := &models.BlacklistEntry{UserID: user.ID, GuildID: "555", Date: time.Now().Add(-time.Minute), Reason: "spamming the channel"}
			if _, err := e.db.NewInsert().Model(entry).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			stallDatabase(t, e, 2500*time.Millisecond)

			in := e.send(imagineIn(true, "a red cube"))
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			followup, err := e.discord.WaitRequest(wctx, func(r fakediscord.Request) bool {
				return r.Route == fakediscord.RouteFollowupCreate && strings.Contains(r.Path, in.Token)
			})
			if err != nil {
				t.Fatalf("no follow-up: %v\n%s", err, e.logs.String())
			}

			calls := e.requestsFor(in)
			want := []string{fakediscord.RouteInteractionCallback, fakediscord.RouteOriginalDelete, fakediscord.RouteFollowupCreate}
			var got []string
			for _, c := range calls {
				got = append(got, c.Route)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("Discord calls = %v, want %v", got, want)
			}
			var payload struct {
				Content string `json:"content"`
				Flags   int    `json:"flags"`
			}
			if err := followup.Decode(&payload); err != nil {
				t.Fatal(err)
			}
			if payload.Flags&64 == 0 {
				t.Errorf("follow-up flags = %d, want ephemeral (64)", payload.Flags)
			}
			if !strings.Contains(payload.Content, "blocked") || !strings.Contains(payload.Content, "spamming the channel") {
				t.Errorf("follow-up = %q, want the refusal and its reason", payload.Content)
			}
			if n := len(e.openaiCalls(generationsPath)); n != 0 {
				t.Errorf("%d OpenAI requests for a refused member, want 0", n)
			}
		})
	}
}
