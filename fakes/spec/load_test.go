package spec

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestDirMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-specs")
	t.Setenv("TALLY_SPECS_DIR", missing)

	_, err := Dir()
	if !errors.Is(err, ErrSpecsMissing) {
		t.Fatalf("Dir() error = %v, want ErrSpecsMissing", err)
	}
}

func TestDirNotAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "specs")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatalf("write file: %v", err)
	}
	t.Setenv("TALLY_SPECS_DIR", file)

	_, err := Dir()
	if !errors.Is(err, ErrSpecsMissing) {
		t.Fatalf("Dir() error = %v, want ErrSpecsMissing", err)
	}
}

func TestDirBesideModuleRoot(t *testing.T) {
	base := t.TempDir()
	module := filepath.Join(base, "clone")
	working := filepath.Join(module, "fakes", "spec")
	specs := filepath.Join(base, "shared", "specs")
	for _, dir := range []string{working, specs} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("create %s: %v", dir, err)
		}
	}
	if err := os.WriteFile(filepath.Join(module, "go.mod"), []byte("module example.com/clone\n"), 0o600); err != nil {
		t.Fatalf("write go.mod: %v", err)
	}
	t.Setenv("TALLY_SPECS_DIR", "")
	t.Chdir(working)

	got, err := Dir()
	if err != nil {
		t.Fatalf("Dir() error = %v", err)
	}
	if filepath.Clean(got) != specs {
		t.Errorf("Dir() = %q, want %q", got, specs)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := load(filepath.Join(t.TempDir(), openAIFile))
	if !errors.Is(err, ErrSpecsMissing) {
		t.Fatalf("load() error = %v, want ErrSpecsMissing", err)
	}
}

func TestLoadInvalidDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte("openapi: 3.1.0\npaths: [\n"), 0o600); err != nil {
		t.Fatalf("write document: %v", err)
	}

	_, err := load(path)
	if err == nil {
		t.Fatal("load() error = nil, want a parse error")
	}
	if errors.Is(err, ErrSpecsMissing) {
		t.Errorf("load() error = %v, want an error other than ErrSpecsMissing", err)
	}
}

func TestLoadSmallDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.yaml")
	document := `openapi: 3.1.0
info: {title: small, version: "1"}
servers: [{url: "https://example.test/v1"}]
paths:
  /things:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string}
      responses:
        "204": {description: created}
`
	if err := os.WriteFile(path, []byte(document), 0o600); err != nil {
		t.Fatalf("write document: %v", err)
	}
	v, err := load(path)
	if err != nil {
		t.Fatalf("load() error = %v", err)
	}

	body := []byte(`{"name":"box"}`)
	if err := v.ValidateRequest(newRequest(t, http.MethodPost, "/v1/things", "application/json", body), body); err != nil {
		t.Errorf("valid request: %v", err)
	}
	body = []byte(`{"name":7}`)
	if err := v.ValidateRequest(newRequest(t, http.MethodPost, "/v1/things", "application/json", body), body); err == nil {
		t.Error("invalid request: got nil error")
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		ci   string
		want bool
	}{
		{ci: "true", want: true},
		{ci: "", want: false},
		{ci: "false", want: false},
	}
	for _, tc := range tests {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			if got := Required(); got != tc.want {
				t.Errorf("Required() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDiscordV10Path(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{path: "/api/v9/interactions/1/t/callback", want: "/api/v10/interactions/1/t/callback"},
		{path: "/api/v10/channels/1", want: "/api/v10/channels/1"},
		{path: "/api/v9", want: "/api/v9"},
	}
	for _, tc := range tests {
		if got := discordV10Path(tc.path); got != tc.want {
			t.Errorf("discordV10Path(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
