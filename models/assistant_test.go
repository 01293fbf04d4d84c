package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

// upsertTestUser upserts a user and returns its row.
func upsertTestUser(t *testing.T, db bun.IDB, discordID, username string) models.User {
	t.Helper()
	user, err := models.UpsertUser(context.Background(), db, discordID, username, time.Now())
	if err != nil {
		t.Fatalf("upsert user %s: %v", discordID, err)
	}
	return user
}

// mustAssistant creates an assistant named name in scope.
func mustAssistant(t *testing.T, db bun.IDB, creatorID int64, scope, name string) models.Assistant {
	t.Helper()
	a := models.Assistant{
		CreatorID: creatorID, GuildID: scope, Name: name, Instructions: "Be brief.",
		Model: "gpt-5-mini", Tools: "current_time", DateCreated: time.Now().UTC(),
	}
	if err := models.CreateAssistant(context.Background(), db, &a); err != nil {
		t.Fatalf("create assistant %q: %v", name, err)
	}
	return a
}

func TestCreateAssistantNames(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		helper := mustAssistant(t, db, alice.ID, "555", "Helper")
		if helper.ID == 0 {
			t.Fatal("created assistant has no row ID")
		}
		if !strings.HasPrefix(helper.AssistantID, "asst_") || len(helper.AssistantID) != len("asst_")+24 {
			t.Errorf("assistant ID = %q, want asst_ and 24 hex digits", helper.AssistantID)
		}

		tests := []struct {
			name    string
			scope   string
			newName string
			wantErr error
		}{
			{name: "same name", scope: "555", newName: "Helper", wantErr: models.ErrAssistantNameTaken},
			{name: "other letter case", scope: "555", newName: "hELPER", wantErr: models.ErrAssistantNameTaken},
			{name: "other server", scope: "556", newName: "Helper"},
			{name: "DM scope", scope: models.DMAssistantScope("333"), newName: "Helper"},
			{name: "other name", scope: "555", newName: "Poet"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := models.Assistant{CreatorID: alice.ID, GuildID: tt.scope, Name: tt.newName, Model: "gpt-5-mini", DateCreated: time.Now()}
				err := models.CreateAssistant(ctx, db, &a)
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("CreateAssistant error = %v, want %v", err, tt.wantErr)
				}
			})
		}

		found, err := models.FindAssistant(ctx, db, "555", "helper")
		if err != nil {
			t.Fatalf("FindAssistant without letter case: %v", err)
		}
		if found.ID != helper.ID {
			t.Errorf("found assistant %d, want %d", found.ID, helper.ID)
		}
		if _, err := models.FindAssistant(ctx, db, "557", "Helper"); !errors.Is(err, models.ErrAssistantNotFound) {
			t.Errorf("FindAssistant in another server error = %v, want ErrAssistantNotFound", err)
		}
	})
}

func TestDeleteAssistantFreesName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		first := mustAssistant(t, db, alice.ID, "555", "Helper")

		if err := models.DeleteAssistant(ctx, db, first.ID, time.Now()); err != nil {
			t.Fatalf("DeleteAssistant: %v", err)
		}
		if err := models.DeleteAssistant(ctx, db, first.ID, time.Now()); !errors.Is(err, models.ErrAssistantNotFound) {
			t.Errorf("second DeleteAssistant error = %v, want ErrAssistantNotFound", err)
		}
		if _, err := models.FindAssistant(ctx, db, "555", "Helper"); !errors.Is(err, models.ErrAssistantNotFound) {
			t.Errorf("FindAssistant after delete error = %v, want ErrAssistantNotFound", err)
		}

		deleted, err := models.FindAssistantByID(ctx, db, first.ID)
		if err != nil {
			t.Fatalf("FindAssistantByID: %v", err)
		}
		if deleted.DateDeleted.IsZero() {
			t.Error("deleted assistant has no date_deleted")
		}
		if want := "Helper (deleted " + first.AssistantID + ")"; deleted.Name != want {
			t.Errorf("deleted name = %q, want %q", deleted.Name, want)
		}

		second := mustAssistant(t, db, alice.ID, "555", "Helper")
		if second.ID == first.ID {
			t.Error("new assistant reused the deleted row")
		}
	})
}

func TestListAssistants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice := upsertTestUser(t, db, "333", "alice")
		bob := upsertTestUser(t, db, "444", "bob")
		mustAssistant(t, db, alice.ID, "555", "poet")
		mustAssistant(t, db, bob.ID, "555", "Helper")
		deleted := mustAssistant(t, db, bob.ID, "555", "old")
		mustAssistant(t, db, bob.ID, "556", "elsewhere")
		if err := models.DeleteAssistant(ctx, db, deleted.ID, time.Now()); err != nil {
			t.Fatal(err)
		}

		list, err := models.ListAssistants(ctx, db, "555")
		if err != nil {
			t.Fatalf("ListAssistants: %v", err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Name+" by "+a.CreatorUsername+" ("+a.CreatorDiscord+")")
		}
		want := "Helper by bob (444), poet by alice (333)"
		if strings.Join(got, ", ") != want {
			t.Errorf("list = %q, want %q", strings.Join(got, ", "), want)
		}

		n, err := models.CountAssistants(ctx, db, "555")
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("CountAssistants = %d, want 2", n)
		}
	})
}
