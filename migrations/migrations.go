// Package migrations holds Tally's versioned schema, embedded in the binary,
// and runs it on PostgreSQL or SQLite.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"
)

//go:embed sql/*.sql
var files embed.FS

// version is one schema step. Its up script may differ per dialect:
// NAME.pg.up.sql and NAME.sqlite.up.sql win over NAME.up.sql.
type version struct {
	name    string
	comment string
}

var versions = []version{
	{name: "0001", comment: "schema"},
	{name: "0002", comment: "seed"},
	{name: "0003", comment: "budget_alerts"},
	{name: "0004", comment: "pending_tool_calls"},
}

// New returns the migrations in order, each running its SQL in one
// transaction.
func New() *migrate.Migrations {
	all := migrate.NewMigrations()
	for _, v := range versions {
		all.Add(migrate.Migration{
			Name:    v.name,
			Comment: v.comment,
			Up:      runScript(v, "up"),
			Down:    runScript(v, "down"),
		})
	}
	return all
}

// runScript returns a migration step in the form migrate.Migration takes.
func runScript(v version, direction string) func(context.Context, *migrate.Migrator, *migrate.Migration) error {
	return func(ctx context.Context, m *migrate.Migrator, _ *migrate.Migration) error {
		db := m.DB()
		script, err := readScript(db.Dialect().Name(), v, direction)
		if err != nil {
			return err
		}
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, script); err != nil {
				return fmt.Errorf("migration %s_%s %s: %w", v.name, v.comment, direction, err)
			}
			return nil
		})
	}
}

func readScript(name dialect.Name, v version, direction string) (string, error) {
	suffix := map[dialect.Name]string{dialect.PG: "pg", dialect.SQLite: "sqlite"}[name]
	candidates := []string{
		fmt.Sprintf("sql/%s_%s.%s.%s.sql", v.name, v.comment, suffix, direction),
		fmt.Sprintf("sql/%s_%s.%s.sql", v.name, v.comment, direction),
	}
	for _, path := range candidates {
		b, err := fs.ReadFile(files, path)
		if err == nil {
			return string(b), nil
		}
	}
	return "", fmt.Errorf("migration %s_%s has no %s script for %s", v.name, v.comment, direction, name)
}
