// Package demo plays a short, scripted Tally session without credentials:
// the real bot runs in-process against the project's fake Discord and fake
// OpenAI and an embedded SQLite database, and each step prints what the
// member who acted would have seen.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/report"
)

// StartBot runs the bot with the given environment until ctx ends; the
// demo passes `tally run` itself, so the real program serves the session.
type StartBot func(ctx context.Context, getenv func(string) string, logs io.Writer) error

const (
	guildID   = "555000000000000001"
	channelID = "555000000000000002"
	appID     = "555000000000000003"
	botUserID = "555000000000000004"
	botToken  = "demo-bot-token"
	openAIKey = "sk-demo"
	// memberPerms lets a member see the channel, send messages and files and
	// use commands; modPerms adds Moderate Members; ownerPerms Manage Server.
	memberPerms = "2147601408"
	modPerms    = "1101659229184"
	ownerPerms  = "2147601440"
)

var (
	alice = fakediscord.User{ID: "100000000000000001", Username: "alice"}
	bob   = fakediscord.User{ID: "100000000000000002", Username: "bob"}
	mod   = fakediscord.User{ID: "100000000000000003", Username: "mia_the_mod"}
	owner = fakediscord.User{ID: "100000000000000004", Username: "olga_the_owner"}
)

// Run plays the session in dir, which keeps the database (tally.db), the
// bot's log (tally.log) and the usage chart (usage-chart.png) afterwards.
func Run(ctx context.Context, dir string, out io.Writer, startBot StartBot) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create demo folder: %w", err)
	}
	dbPath := filepath.Join(dir, "tally.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(dbPath + suffix)
	}
	logFile, err := os.Create(filepath.Join(dir, "tally.log"))
	if err != nil {
		return fmt.Errorf("create bot log: %w", err)
	}
	defer logFile.Close()

	openai, err := fakeopenai.New(fakeopenai.Options{APIKey: openAIKey, Latency: 300 * time.Millisecond})
	if err != nil {
		return err
	}
	defer openai.Close()
	discord, err := fakediscord.New(fakediscord.Options{
		Token: botToken, ApplicationID: appID, BotUserID: botUserID, Guilds: []string{guildID},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer discord.Close()

	env := map[string]string{
		"DISCORD_TOKEN":                botToken,
		"DISCORD_API_URL":              discord.URL(),
		"OPENAI_API_KEY":               openAIKey,
		"OPENAI_BASE_URL":              openai.URL(),
		"DATABASE_URL":                 dbPath,
		"TALLY_DEFAULT_DAILY_REQUESTS": "2",
		"TALLY_OWNER_IDS":              owner.ID,
	}
	botCtx, stopBot := context.WithCancel(ctx)
	botDone := make(chan error, 1)
	go func() { botDone <- startBot(botCtx, func(name string) string { return env[name] }, logFile) }()
	defer func() {
		stopBot()
		<-botDone
	}()

	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := discord.WaitRequest(waitCtx, fakediscord.OnRoute(fakediscord.RouteGlobalCommandsPut)); err != nil {
		return fmt.Errorf("the bot did not start; see %s: %w", logFile.Name(), err)
	}

	s := &session{ctx: ctx, discord: discord, out: out}
	fmt.Fprintf(out, "Tally demo: a server where every member may make 2 requests a day.\n\n")
	s.step("alice asks for an image", alice, memberPerms, "imagine",
		fakediscord.StringOption("prompt", "a lighthouse at dusk, oil painting"), fakediscord.StringOption("quality", "low"))
	s.step("bob asks for an image", bob, memberPerms, "imagine", fakediscord.StringOption("prompt", "a cat astronaut"))
	s.step("bob asks for two more at once", bob, memberPerms, "imagine",
		fakediscord.StringOption("prompt", "a cat astronaut on the moon"), fakediscord.IntegerOption("count", 2))
	s.step("bob tries a third request today", bob, memberPerms, "imagine", fakediscord.StringOption("prompt", "another cat"))
	s.step("the moderator blacklists bob for a day", mod, modPerms, "blacklist",
		fakediscord.Subcommand("add", fakediscord.UserOption("member", bob),
			fakediscord.StringOption("reason", "posting the same request over and over"), fakediscord.StringOption("duration", "1d")))
	s.step("bob tries again", bob, memberPerms, "imagine", fakediscord.StringOption("prompt", "one more cat"))
	s.step("alice checks her usage", alice, memberPerms, "usage")
	s.step("the owner reads the server's summary", owner, ownerPerms, "usage",
		fakediscord.StringOption("period", "month"), fakediscord.BooleanOption("server", true))
	if s.err != nil {
		return s.err
	}

	chartPath := filepath.Join(dir, "usage-chart.png")
	if err := writeChart(ctx, dbPath, chartPath); err != nil {
		return err
	}
	fmt.Fprintf(out, "Left behind in %s:\n  tally.db         the database (try: DATABASE_URL=%s tally report)\n  tally.log        the bot's log\n  usage-chart.png  the server's usage chart\n",
		dir, dbPath)
	return nil
}

// session sends the demo's interactions and prints what each member saw.
type session struct {
	ctx     context.Context
	discord *fakediscord.Server
	out     io.Writer
	err     error
	n       int
}

func (s *session) step(title string, user fakediscord.User, perms, command string, options ...fakediscord.Option) {
	if s.err != nil {
		return
	}
	s.n++
	in := fakediscord.GuildCommand(guildID, channelID, user, perms, command, options...)
	fmt.Fprintf(s.out, "%d. %s: /%s%s\n", s.n, title, command, describeOptions(options))
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := s.discord.SendInteraction(ctx, in); err != nil {
		s.err = err
		return
	}
	state, err := s.finished(ctx, in.ID)
	if err != nil {
		s.err = fmt.Errorf("step %d: %w", s.n, err)
		return
	}
	fmt.Fprintln(s.out, indent(seen(state), "   "))
	fmt.Fprintln(s.out)
}

// finished waits until the interaction has its final message: a reply, or
// a deferral that was then edited or followed up.
func (s *session) finished(ctx context.Context, id string) (fakediscord.InteractionState, error) {
	for {
		state, ok := s.discord.Interaction(id)
		if ok && state.Response != nil {
			switch {
			case state.Response.Type != 5:
				return state, nil
			case state.Original != nil && (state.Original.Content != "" || len(state.Original.Embeds) > 0 || len(state.Original.Attachments) > 0):
				return state, nil
			case len(state.Followups) > 0:
				return state, nil
			}
		}
		select {
		case <-ctx.Done():
			return state, fmt.Errorf("no answer from the bot: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func writeChart(ctx context.Context, dbPath, chartPath string) error {
	db, err := models.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	today := time.Now().UTC()
	period := report.Period{Since: today.AddDate(0, 0, -6).Format(time.DateOnly), Until: today.Format(time.DateOnly)}
	summary, err := report.Summarize(ctx, db, guildID, period, 10)
	if err != nil {
		return err
	}
	png, err := report.Chart(summary, "Demo server usage")
	if err != nil {
		return err
	}
	return os.WriteFile(chartPath, png, 0o644)
}

func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
