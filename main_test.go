package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs a tally command line on the SQLite file db and returns what
// it printed and its error.
func runCLI(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": db}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(name string) string { return env[name] }, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func TestPricesSetKeepsComponentsLeftOut(t *testing.T) {
	db := t.TempDir() + "/tally.db"
	if _, err := runCLI(t, db, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, db, "prices", "set", "--endpoint", "openai_images_generate", "--model", "gpt-image-2", "--text-input", "5.5", "--from", "2026-12-01")
	if err != nil {
		t.Fatalf("prices set: %v\n%s", err, out)
	}
	// The seeded image output price of $30.00 per million tokens stays.
	if !strings.Contains(out, "text in $5.50") || !strings.Contains(out, "image out $30.00") {
		t.Errorf("prices set printed:\n%s", out)
	}
	list, err := runCLI(t, db, "prices", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "2026-12-01T00:00:00Z") {
		t.Errorf("prices list lacks the new row:\n%s", list)
	}
}

func TestPricesSetRejectsBadInput(t *testing.T) {
	db := t.TempDir() + "/tally.db"
	if _, err := runCLI(t, db, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no amount", []string{"--endpoint", "openai_images_generate"}, "needs at least one amount"},
		{"unknown endpoint", []string{"--endpoint", "nope", "--text-input", "1"}, `unknown endpoint "nope"`},
		{"bad quality", []string{"--endpoint", "openai_images_generate", "--quality", "ultra", "--text-input", "1"}, `--quality "ultra" is invalid`},
		{"bad size", []string{"--endpoint", "openai_images_generate", "--size", "big", "--text-input", "1"}, `--size "big" is invalid`},
		{"too many decimals", []string{"--endpoint", "openai_images_generate", "--text-input", "1.2345678"}, "more than six decimal places"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, db, append([]string{"prices", "set"}, tt.args...)...)
			if err == nil {
				t.Fatalf("accepted: %s", out)
			}
			if !strings.Contains(err.Error()+out, tt.want) {
				t.Errorf("error = %v\n%s\nwant it to mention %q", err, out, tt.want)
			}
		})
	}
}
