package models

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// maxConns bounds each process's connection pool.
const maxConns = 32

// IsPostgresURL reports whether databaseURL names a PostgreSQL server
// rather than a SQLite file.
func IsPostgresURL(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// Open connects to the PostgreSQL server a postgres:// URL names, or opens
// (and creates) the SQLite file at any other path, and checks that the
// database answers.
func Open(ctx context.Context, databaseURL string) (*bun.DB, error) {
	var db *bun.DB
	if IsPostgresURL(databaseURL) {
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(databaseURL)))
		db = bun.NewDB(sqldb, pgdialect.New())
	} else {
		sqldb, err := sql.Open(sqliteshim.ShimName, sqliteDSN(databaseURL))
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", databaseURL, err)
		}
		db = bun.NewDB(sqldb, sqlitedialect.New())
	}
	// Keep as many idle connections as open ones: with database/sql's
	// default of two idle connections, a burst opens and closes PostgreSQL
	// sessions by the hundred. The cap stays well under PostgreSQL's default
	// max_connections of 100, leaving room for a second instance.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// sqliteDSN adds the connection settings Tally relies on to a file path.
// Every transaction starts with BEGIN IMMEDIATE, which takes the write lock
// at once: SQLite has no SELECT ... FOR UPDATE, and a deferred transaction
// that reads and then writes can fail with SQLITE_BUSY instead of waiting.
// The busy timeout makes a second writer wait for the lock instead of failing.
func sqliteDSN(path string) string {
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Set("_txlock", "immediate")
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	return "file:" + path + "?" + params.Encode()
}
