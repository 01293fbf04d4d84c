// Package config reads Tally's settings from environment variables into one
// typed struct, once, and checks them with messages that name the variable.
package config

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tallybot/tally/models"
)

// Config is every setting Tally reads from its environment.
type Config struct {
	DiscordToken     string
	DiscordAppID     string
	DiscordPublicKey string
	DiscordGuildID   string
	DiscordAPIURL    *url.URL
	AttachmentHosts  []string

	OpenAIAPIKey  string
	OpenAIBaseURL string
	// SafetyKey keys the hash of member IDs sent to OpenAI.
	SafetyKey []byte

	DatabaseURL string

	ImageModel     string
	AssistantModel string
	Zone           *time.Location

	OwnerIDs         []string
	ModeratorRoleIDs []string

	DefaultDailyRequests int
	DefaultDailyBudget   models.MicroUSD
	GlobalMonthlyBudget  models.MicroUSD
	AlertChannelID       string
	AlertThresholds      []int
	PromptRetentionDays  int
	MaxToolRounds        int
	OpenAIConcurrency    int
	UnpricedRequest      models.MicroUSD
	RecoverAfter         time.Duration
	OpenAITimeout        time.Duration
	ListenAddr           string
	SyncCommands         bool
	LogLevel             slog.Level
	LogFormat            string
}

// Defaults, as the README documents them.
const (
	DefaultDiscordAPIURL   = "https://discord.com"
	DefaultOpenAIBaseURL   = "https://api.openai.com/v1"
	DefaultDatabaseURL     = "./tally.db"
	DefaultImageModel      = "gpt-image-2"
	DefaultAssistantModel  = "gpt-5-mini"
	DefaultAttachmentHosts = "cdn.discordapp.com,media.discordapp.net"
)

// Getenv looks up one variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// Load reads every variable and returns all the problems found at once.
// Secrets may come from NAME_FILE, a path whose contents are the value.
func Load(getenv Getenv) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		DiscordToken:     r.secret("DISCORD_TOKEN"),
		DiscordAppID:     r.snowflake("DISCORD_APP_ID"),
		DiscordPublicKey: r.secret("DISCORD_PUBLIC_KEY"),
		DiscordGuildID:   r.snowflake("DISCORD_GUILD_ID"),
		DiscordAPIURL:    r.origin("DISCORD_API_URL", DefaultDiscordAPIURL),
		AttachmentHosts:  r.list("TALLY_ATTACHMENT_HOSTS", DefaultAttachmentHosts),

		OpenAIAPIKey:  r.secret("OPENAI_API_KEY"),
		OpenAIBaseURL: r.baseURL("OPENAI_BASE_URL", DefaultOpenAIBaseURL),

		DatabaseURL: r.databaseURL("DATABASE_URL"),

		ImageModel:     r.text("TALLY_IMAGE_MODEL", DefaultImageModel),
		AssistantModel: r.text("TALLY_ASSISTANT_MODEL", DefaultAssistantModel),
		Zone:           r.zone("TALLY_TIMEZONE"),

		OwnerIDs:         r.snowflakes("TALLY_OWNER_IDS"),
		ModeratorRoleIDs: r.snowflakes("TALLY_MODERATOR_ROLE_IDS"),

		DefaultDailyRequests: r.count("TALLY_DEFAULT_DAILY_REQUESTS", 0),
		DefaultDailyBudget:   r.dollars("TALLY_DEFAULT_DAILY_BUDGET_USD"),
		GlobalMonthlyBudget:  r.dollars("TALLY_GLOBAL_MONTHLY_BUDGET_USD"),
		AlertChannelID:       r.snowflake("TALLY_ALERT_CHANNEL_ID"),
		AlertThresholds:      r.percents("TALLY_BUDGET_ALERT_PERCENTS", "80,100"),
		PromptRetentionDays:  r.count("TALLY_PROMPT_RETENTION_DAYS", 30),
		MaxToolRounds:        r.count("TALLY_MAX_TOOL_ROUNDS", 4),
		OpenAIConcurrency:    r.count("TALLY_OPENAI_CONCURRENCY", 16),
		UnpricedRequest:      r.dollars("TALLY_UNPRICED_REQUEST_USD"),
		RecoverAfter:         r.duration("TALLY_RECOVER_AFTER", 20*time.Minute),
		OpenAITimeout:        r.duration("TALLY_OPENAI_TIMEOUT", 10*time.Minute),
		ListenAddr:           r.listenAddr("TALLY_LISTEN_ADDR"),
		SyncCommands:         r.boolean("TALLY_SYNC_COMMANDS", true),
		LogLevel:             r.level("LOG_LEVEL"),
		LogFormat:            r.oneOf("LOG_FORMAT", "text", "text", "json"),
	}
	c.SafetyKey = []byte(r.secret("TALLY_SAFETY_KEY"))
	// A pending row younger than the OpenAI timeout may belong to a live
	// process still waiting for OpenAI; recovering it would charge the
	// estimate on top of the real cost.
	if c.RecoverAfter <= c.OpenAITimeout {
		r.fail("TALLY_RECOVER_AFTER", "must be longer than TALLY_OPENAI_TIMEOUT (%s), or recovery could settle requests still in progress; every instance must use the same values", c.OpenAITimeout)
	}
	if c.OpenAIConcurrency == 0 {
		r.fail("TALLY_OPENAI_CONCURRENCY", "must be at least 1")
	}
	return c, errors.Join(r.errs...)
}

// CheckRun reports what `tally run` needs and c lacks.
func (c Config) CheckRun() error {
	var errs []error
	if c.DiscordToken == "" {
		errs = append(errs, errors.New("DISCORD_TOKEN is missing: create an application at https://discord.com/developers/applications, "+
			"add a bot under Bot, press Reset Token and set DISCORD_TOKEN (or DISCORD_TOKEN_FILE) to the token"))
	}
	if c.OpenAIAPIKey == "" {
		errs = append(errs, errors.New("OPENAI_API_KEY is missing: create a key at https://platform.openai.com/api-keys "+
			"and set OPENAI_API_KEY (or OPENAI_API_KEY_FILE)"))
	}
	return errors.Join(errs...)
}

// CheckServe reports what `tally serve` needs and c lacks.
func (c Config) CheckServe() error {
	errs := []error{c.CheckRun()}
	if c.DiscordPublicKey == "" {
		errs = append(errs, errors.New("DISCORD_PUBLIC_KEY is missing: copy the Public Key from the application's General Information page"))
	} else if _, err := c.PublicKey(); err != nil {
		errs = append(errs, err)
	}
	if c.SyncCommands && c.DiscordAppID == "" {
		errs = append(errs, errors.New("DISCORD_APP_ID is missing: serve registers the commands at start and needs the Application ID "+
			"from the General Information page (or set TALLY_SYNC_COMMANDS=false)"))
	}
	return errors.Join(errs...)
}

// PublicKey decodes DISCORD_PUBLIC_KEY, the application's Ed25519 key in hex.
func (c Config) PublicKey() (ed25519.PublicKey, error) {
	key, err := hex.DecodeString(c.DiscordPublicKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("DISCORD_PUBLIC_KEY is invalid: want the %d-byte key as %d hex digits", ed25519.PublicKeySize, 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(key), nil
}

// IsOwner reports whether the Discord user is one of the operators.
func (c Config) IsOwner(discordUserID string) bool {
	for _, id := range c.OwnerIDs {
		if id == discordUserID {
			return true
		}
	}
	return false
}

// reader collects every problem instead of stopping at the first, so an
// operator fixes their configuration in one pass.
type reader struct {
	getenv Getenv
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) text(name, fallback string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return fallback
}

// secret reads NAME, or the file NAME_FILE names; setting both is an error.
func (r *reader) secret(name string) string {
	value := r.getenv(name)
	path := r.getenv(name + "_FILE")
	if path == "" {
		return strings.TrimSpace(value)
	}
	if value != "" {
		r.fail(name, "and %s_FILE are both set: keep one", name)
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.fail(name+"_FILE", "cannot be read: %v", err)
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (r *reader) snowflake(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return ""
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil {
		r.fail(name, "is invalid: %q is not a Discord ID (a number such as 112233445566778899)", v)
		return ""
	}
	return v
}

func (r *reader) snowflakes(name string) []string {
	var ids []string
	for _, v := range splitList(r.getenv(name)) {
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			r.fail(name, "is invalid: %q is not a Discord ID; give IDs separated by commas", v)
			continue
		}
		ids = append(ids, v)
	}
	return ids
}

func (r *reader) list(name, fallback string) []string {
	v := r.getenv(name)
	if strings.TrimSpace(v) == "" {
		v = fallback
	}
	return splitList(v)
}

func splitList(v string) []string {
	var items []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// origin reads a scheme and host, such as https://discord.com, with no path.
func (r *reader) origin(name, fallback string) *url.URL {
	v := r.text(name, fallback)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		r.fail(name, "is invalid: %q must be an origin such as https://discord.com (scheme and host, no path)", v)
		return nil
	}
	u.Path = ""
	return u
}

func (r *reader) baseURL(name, fallback string) string {
	v := r.text(name, fallback)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "is invalid: %q must be an http or https URL such as %s", v, fallback)
		return ""
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) databaseURL(name string) string {
	v := r.text(name, DefaultDatabaseURL)
	if !models.IsPostgresURL(v) {
		if scheme, _, ok := strings.Cut(v, "://"); ok && scheme != "file" && scheme != "sqlite" {
			r.fail(name, "is invalid: %s:// is not supported; use postgres://…?sslmode=… or a SQLite file path", scheme)
			return ""
		}
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		r.fail(name, "is invalid: %v", err)
		return ""
	}
	switch mode := u.Query().Get("sslmode"); mode {
	case "":
		r.fail(name, "must set sslmode explicitly, for example ?sslmode=disable on a local server or ?sslmode=require: the driver does not fall back from TLS")
		return ""
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
		return v
	default:
		r.fail(name, "is invalid: sslmode=%s is not supported; use disable, allow, prefer, require, verify-ca or verify-full", mode)
		return ""
	}
}

func (r *reader) listenAddr(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return ""
	}
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		r.fail(name, "is invalid: %q must be host:port or :port, such as :8080 or 127.0.0.1:0", v)
		return ""
	}
	return v
}

func (r *reader) zone(name string) *time.Location {
	v := r.text(name, "UTC")
	zone, err := time.LoadLocation(v)
	if err != nil {
		r.fail(name, "is invalid: %q is not an IANA time zone such as UTC or Europe/Paris", v)
		return time.UTC
	}
	return zone
}

func (r *reader) count(name string, fallback int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(name, "is invalid: %q must be a whole number, 0 or more", v)
		return fallback
	}
	return n
}

func (r *reader) percents(name, fallback string) []int {
	var out []int
	for _, item := range r.list(name, fallback) {
		n, err := strconv.Atoi(item)
		if err != nil || n < 1 || n > 1000 {
			r.fail(name, "is invalid: %q must be percentages from 1 to 1000 separated by commas, such as 80,100", item)
			return nil
		}
		out = append(out, n)
	}
	return out
}

func (r *reader) dollars(name string) models.MicroUSD {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return 0
	}
	amount, err := models.ParseUSD(v)
	if err != nil {
		r.fail(name, "is invalid: %q must be a dollar amount such as 5 or 0.25", v)
		return 0
	}
	return amount
}

func (r *reader) duration(name string, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "is invalid: %q must be a positive duration such as 20m", v)
		return fallback
	}
	return d
}

func (r *reader) boolean(name string, fallback bool) bool {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return fallback
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "is invalid: %q must be true or false", v)
		return fallback
	}
	return b
}

func (r *reader) level(name string) slog.Level {
	var level slog.Level
	v := r.text(name, "info")
	if err := level.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "is invalid: %q must be debug, info, warn or error", v)
		return slog.LevelInfo
	}
	return level
}

func (r *reader) oneOf(name, fallback string, allowed ...string) string {
	v := r.text(name, fallback)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "is invalid: %q must be one of %s", v, strings.Join(allowed, ", "))
	return fallback
}
