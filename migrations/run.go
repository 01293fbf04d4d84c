package migrations

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

// Up applies every migration not yet applied and returns the names applied.
func Up(ctx context.Context, db *bun.DB) ([]string, error) {
	var applied []string
	err := withLock(ctx, db, func(migrator *migrate.Migrator) error {
		group, err := migrator.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		for _, m := range group.Migrations {
			applied = append(applied, m.String())
		}
		return nil
	})
	return applied, err
}

// Down rolls back the last group of migrations applied together and returns
// the names rolled back.
func Down(ctx context.Context, db *bun.DB) ([]string, error) {
	var rolledBack []string
	err := withLock(ctx, db, func(migrator *migrate.Migrator) error {
		group, err := migrator.Rollback(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		for _, m := range group.Migrations {
			rolledBack = append(rolledBack, m.String())
		}
		return nil
	})
	return rolledBack, err
}

// Status returns every migration with whether it has been applied.
func Status(ctx context.Context, db *bun.DB) (migrate.MigrationSlice, error) {
	var status migrate.MigrationSlice
	err := withLock(ctx, db, func(migrator *migrate.Migrator) error {
		var err error
		status, err = migrator.MigrationsWithStatus(ctx)
		return err
	})
	return status, err
}

// withLock runs fn while holding a lock that keeps two Tally processes from
// migrating at once. On PostgreSQL it is a session advisory lock, released
// by the server even if the process dies, where bun's own lock table would
// stay locked after a crash. SQLite serialises writers itself.
func withLock(ctx context.Context, db *bun.DB, fn func(*migrate.Migrator) error) error {
	migrator := migrate.NewMigrator(db, New())
	if db.Dialect().Name() == dialect.PG {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("reserve connection for migration lock: %w", err)
		}
		defer conn.Close()
		key := lockKey()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", key); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		defer func() {
			// Without cancellation, so the lock is released even when ctx has ended.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", key)
		}()
	}
	if err := migrator.Init(ctx); err != nil {
		return fmt.Errorf("init migration tables: %w", err)
	}
	return fn(migrator)
}

// lockKey returns the advisory lock ID, derived from a fixed name so that
// every Tally process computes the same one.
func lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("tally migrations"))
	return int64(h.Sum64() >> 1)
}
