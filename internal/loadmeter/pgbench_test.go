package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
)

const pgbenchScript = "../../bench/admit-settle.sql"

// scriptStatements returns the normalized SQL statements of a pgbench
// script, in order: comment lines and \set commands are left out, and a
// statement ends at a semicolon at the end of a line or at \gset.
func scriptStatements(t *testing.T, path string) []string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read pgbench script: %v", err)
	}
	var statements []string
	var current strings.Builder
	for line := range strings.Lines(string(text)) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") || strings.HasPrefix(trimmed, `\set`) {
			continue
		}
		if before, _, found := strings.Cut(line, `\gset`); found {
			current.WriteString(before)
			statements = append(statements, normalizeStatement(current.String()))
			current.Reset()
			continue
		}
		current.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			statements = append(statements, normalizeStatement(current.String()))
			current.Reset()
		}
	}
	if rest := strings.TrimSpace(current.String()); rest != "" {
		t.Fatalf("pgbench script ends inside a statement: %q", rest)
	}
	return statements
}

// benchDatabase returns the URL of a fresh, migrated PostgreSQL database.
func benchDatabase(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := dbtest.URL(t, "postgres")
	db, err := models.Open(ctx, url)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("migrate database: %v", err)
	}
	return url
}

// defaultWorkload returns the workload loadmeter runs without flags.
func defaultWorkload(t *testing.T, run string) workloadConfig {
	t.Helper()
	o, err := parseFlags([]string{"-database-url", "unused", "-run", run}, os.Stderr)
	if err != nil {
		t.Fatalf("parse default flags: %v", err)
	}
	return o.workload
}

// TestPgbenchScriptMatchesMeter records the statements one admission and
// one settlement send and compares their shapes with the pgbench script.
// When it fails, the meter's SQL has changed: update bench/admit-settle.sql
// to send the same statements.
func TestPgbenchScriptMatchesMeter(t *testing.T) {
	ctx := context.Background()
	db, err := models.Open(ctx, benchDatabase(t))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer db.Close()
	recorder := &statementRecorder{}
	db.AddQueryHook(recorder)
	w := newWorkload(db, defaultWorkload(t, "shape"))

	if err := w.call(ctx, 0, 0); err != nil {
		t.Fatalf("call: %v", err)
	}
	var got []string
	for _, s := range recorder.take() {
		got = append(got, normalizeStatement(s))
	}

	want := scriptStatements(t, pgbenchScript)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("meter statements differ from %s (-script +meter):\n%s", pgbenchScript, diff)
	}
}

// TestPgbenchScriptRuns runs the script with pgbench, two clients of five
// calls each in two servers, and checks that every call was admitted,
// settled and added to both roll-ups.
func TestPgbenchScriptRuns(t *testing.T) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		t.Skip("pgbench not found on PATH; it comes with PostgreSQL's client packages")
	}
	url := benchDatabase(t)
	now := time.Now().UTC()
	day := now.Format(time.DateOnly)

	cmd := exec.Command(pgbench, "-n", "-M", "simple", "-f", pgbenchScript,
		"-D", "run=script", "-D", "guilds=2", "-D", "day="+day, "-D", "daystart="+day+" 00:00:00+00:00",
		"-c", "2", "-t", "5", url)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, output)
	}

	ctx := context.Background()
	db, err := models.Open(ctx, url)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer db.Close()
	var settled, members, servers, serverRequests, memberRequests int64
	queries := []struct {
		sql  string
		dest *int64
	}{
		{"SELECT count(*) FROM usage_ledger_table WHERE status = 'settled' AND cost_micro_usd = 31740 AND interaction_id LIKE 'script-%'", &settled},
		{"SELECT count(*) FROM usernames_table WHERE discord_user_id IN ('bench-script-0', 'bench-script-1')", &members},
		{"SELECT count(*) FROM endpoint_usage_table", &servers},
		{"SELECT COALESCE(SUM(usage), 0) FROM endpoint_usage_table", &serverRequests},
		{"SELECT COALESCE(SUM(usage), 0) FROM endpoint_user_usage_table", &memberRequests},
	}
	for _, q := range queries {
		if err := db.NewRaw(q.sql).Scan(ctx, q.dest); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	if settled != 10 {
		t.Errorf("settled ledger rows = %d, want 10", settled)
	}
	if members != 2 {
		t.Errorf("members = %d, want 2, one per client", members)
	}
	if servers != 2 {
		t.Errorf("server roll-up rows = %d, want 2, one per server", servers)
	}
	if serverRequests != 10 {
		t.Errorf("requests in server roll-ups = %d, want 10", serverRequests)
	}
	if memberRequests != 10 {
		t.Errorf("requests in member roll-ups = %d, want 10", memberRequests)
	}
}
