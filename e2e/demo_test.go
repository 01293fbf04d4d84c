package e2e

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoRunsWithoutCredentials runs `tally demo` with an empty
// environment and checks what each member saw and what it leaves behind.
func TestDemoRunsWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary, "demo", "--dir", filepath.Join(dir, "demo"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tally demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"alice asks for an image", "image-1.png",
		"You have used all 2 of your requests today",
		"[Member blocked]",
		"You are blocked from using Tally here",
		"Reason given: posting the same request over and over.",
		"[Server usage, this month]", "Top members by cost",
		"Nothing was charged",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<t:") {
		t.Errorf("demo output shows raw Discord timestamps:\n%s", text)
	}

	chart, err := os.ReadFile(filepath.Join(dir, "demo", "usage-chart.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(chart)); err != nil {
		t.Errorf("usage-chart.png is not a PNG: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "demo", "tally.db")); err != nil {
		t.Errorf("the demo left no database: %v", err)
	}
}
