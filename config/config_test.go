package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) Getenv {
	return func(name string) string { return vars[name] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.DatabaseURL != DefaultDatabaseURL {
		t.Errorf("DatabaseURL = %q, want %q", cfg.DatabaseURL, DefaultDatabaseURL)
	}
	if cfg.DiscordAPIURL.String() != DefaultDiscordAPIURL {
		t.Errorf("DiscordAPIURL = %q, want %q", cfg.DiscordAPIURL, DefaultDiscordAPIURL)
	}
	if cfg.ImageModel != "gpt-image-2" || cfg.Zone != time.UTC || !cfg.SyncCommands || cfg.PromptRetentionDays != 30 {
		t.Errorf("defaults = image model %q, zone %v, sync %v, retention %d", cfg.ImageModel, cfg.Zone, cfg.SyncCommands, cfg.PromptRetentionDays)
	}
	if strings.Join(cfg.AttachmentHosts, ",") != DefaultAttachmentHosts {
		t.Errorf("AttachmentHosts = %v", cfg.AttachmentHosts)
	}
}

func TestLoadNamesEveryInvalidVariable(t *testing.T) {
	_, err := Load(env(map[string]string{
		"DISCORD_API_URL":                 "discord.com/api",
		"DATABASE_URL":                    "postgres://localhost/openai",
		"TALLY_TIMEZONE":                  "Mars/Olympus",
		"TALLY_DEFAULT_DAILY_REQUESTS":    "-3",
		"TALLY_OWNER_IDS":                 "123,bob",
		"TALLY_GLOBAL_MONTHLY_BUDGET_USD": "1e3",
		"LOG_FORMAT":                      "xml",
		"TALLY_SYNC_COMMANDS":             "maybe",
	}))
	if err == nil {
		t.Fatal("Load accepted invalid configuration")
	}
	for _, name := range []string{"DISCORD_API_URL", "DATABASE_URL must set sslmode", "TALLY_TIMEZONE", "TALLY_DEFAULT_DAILY_REQUESTS",
		"TALLY_OWNER_IDS", "TALLY_GLOBAL_MONTHLY_BUDGET_USD", "LOG_FORMAT", "TALLY_SYNC_COMMANDS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s:\n%v", name, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"DISCORD_TOKEN_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.DiscordToken != "secret-token" {
		t.Errorf("DiscordToken = %q, want the file's contents", cfg.DiscordToken)
	}

	_, err = Load(env(map[string]string{"DISCORD_TOKEN_FILE": path, "DISCORD_TOKEN": "x"}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both set: error = %v", err)
	}
	_, err = Load(env(map[string]string{"OPENAI_API_KEY_FILE": filepath.Join(t.TempDir(), "missing")}))
	if err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY_FILE") {
		t.Errorf("missing file: error = %v", err)
	}
}

func TestCheckRunExplainsMissingToken(t *testing.T) {
	cfg, err := Load(env(map[string]string{"OPENAI_API_KEY": "sk-test"}))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.CheckRun()
	if err == nil {
		t.Fatal("CheckRun accepted a configuration without DISCORD_TOKEN")
	}
	if !strings.Contains(err.Error(), "DISCORD_TOKEN is missing") || !strings.Contains(err.Error(), "discord.com/developers/applications") {
		t.Errorf("error = %v", err)
	}
	if strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Errorf("error mentions OPENAI_API_KEY, which is set: %v", err)
	}
}

func TestLoadRejectsUnsupportedDatabasesAndAddresses(t *testing.T) {
	tests := []struct {
		name, variable, value, want string
	}{
		{"unknown sslmode", "DATABASE_URL", "postgres://localhost/openai?sslmode=bogus", "sslmode=bogus is not supported"},
		{"other database", "DATABASE_URL", "mysql://root@127.0.0.1:3306/x", "mysql:// is not supported"},
		{"listen address without port", "TALLY_LISTEN_ADDR", "notanaddr", "TALLY_LISTEN_ADDR is invalid"},
		{"recovery before the OpenAI timeout", "TALLY_RECOVER_AFTER", "1s", "must be longer than TALLY_OPENAI_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.variable: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	cfg, err := Load(env(map[string]string{"DATABASE_URL": "postgres://localhost/openai?sslmode=verify-full", "TALLY_LISTEN_ADDR": "127.0.0.1:0"}))
	if err != nil || cfg.ListenAddr != "127.0.0.1:0" {
		t.Errorf("valid values rejected: %v", err)
	}
}
