// Package dbtest gives tests a fresh, migrated database of each kind Tally
// runs on: a SQLite file in the test's temporary folder, and a new
// PostgreSQL database on the server DATABASE_URL names.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
)

// Kinds are the database kinds Each runs a test on.
var Kinds = []string{"sqlite", "postgres"}

// Each runs fn as a subtest once per database kind, each with its own
// fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh, migrated database of the kind, closed and dropped
// when the test ends.
func Open(t testing.TB, kind string) *bun.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	databaseURL := URL(t, kind)
	db, err := models.Open(ctx, databaseURL)
	if err != nil {
		t.Fatalf("open %s database: %v", kind, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("migrate %s database: %v", kind, err)
	}
	return db
}

// URL returns the address of a new, empty database of the kind: a file
// path for SQLite, or a postgres:// URL of a database created for this
// test and dropped after it. Without a PostgreSQL server in DATABASE_URL
// the PostgreSQL case is skipped, except in CI (CI=true), where it fails.
func URL(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return t.TempDir() + "/tally.db"
	}

	server := os.Getenv("DATABASE_URL")
	if !models.IsPostgresURL(server) {
		if os.Getenv("CI") == "true" {
			t.Fatal("DATABASE_URL must name a PostgreSQL server in CI (postgres://...?sslmode=disable)")
		}
		t.Skip("PostgreSQL tests skipped: set DATABASE_URL=postgres://...?sslmode=disable to run them")
	}
	return createDatabase(t, server)
}

func createDatabase(t testing.TB, server string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := models.Open(ctx, server)
	if err != nil {
		t.Fatalf("connect to PostgreSQL at DATABASE_URL: %v", err)
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "tally_test_" + hex.EncodeToString(suffix)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})

	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
