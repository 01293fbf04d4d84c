// Package bot connects Tally's commands to Discord: the gateway session,
// command registration, routing with the shared middleware, and shutdown.
package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/commands"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/metrics"
)

// Options configure a Bot.
type Options struct {
	// AppID is the application ID; when empty it is read from READY.
	AppID string
	// Access names the operators and extra moderator roles.
	Access commands.Access
	// Metrics receives the interaction counts; nil keeps them unexported.
	Metrics *metrics.Metrics
	// GuildID registers the commands in that one server instead of globally.
	GuildID      string
	SyncCommands bool
	// ShutdownGrace is how long shutdown waits for interactions in flight.
	ShutdownGrace time.Duration
	Logger        *slog.Logger
}

// Bot is a gateway connection serving Tally's commands.
type Bot struct {
	opts     Options
	session  *discordgo.Session
	commands []*commands.Command
	meter    *metering.Meter
	ready    chan error
}

// New prepares a Bot on a session from NewSession; Run connects it.
func New(opts Options, session *discordgo.Session, all []*commands.Command, meter *metering.Meter) (*Bot, error) {
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 30 * time.Second
	}
	return &Bot{opts: opts, session: session, commands: all, meter: meter, ready: make(chan error, 1)}, nil
}

// NewSession returns a discordgo session whose REST requests go to apiURL,
// Discord's HTTP origin (https://discord.com, or a proxy or a test
// server in its place).
// No gateway intents are requested: interactions arrive without any, and
// Tally needs no privileged ones.
func NewSession(token string, apiURL *url.URL) (*discordgo.Session, error) {
	session, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("create discord session: %w", err)
	}
	session.Client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: originTransport{origin: apiURL, next: pooledTransport()},
	}
	session.Identify.Intents = discordgo.IntentsNone
	session.StateEnabled = false
	session.ShouldReconnectOnError = true
	session.LogLevel = discordgo.LogError
	return session, nil
}

// Run connects to the gateway, registers the commands once READY arrives
// (when SyncCommands is set), and serves interactions until ctx ends. It
// then stops taking interactions, waits up to ShutdownGrace for those in
// flight, and closes the connection.
func (b *Bot) Run(ctx context.Context) error {
	logger := b.opts.Logger
	// Handlers outlive ctx so that interactions in flight can finish after
	// the shutdown signal; work still running after the grace period is
	// cancelled through abandon.
	base, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	r := newRouter(base, b.commands, b.meter, b.opts.Access, b.opts.Metrics, logger)
	responder := restResponder{session: b.session}

	b.session.AddHandler(func(s *discordgo.Session, ready *discordgo.Ready) {
		b.onReady(ctx, ready)
	})
	b.session.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		r.dispatch(ic.Interaction, responder)
	})

	// Session.Open takes no context, so a signal during a slow connection
	// would otherwise wait for its HTTP timeout.
	opened := make(chan error, 1)
	go func() { opened <- b.session.Open() }()
	select {
	case err := <-opened:
		if err != nil {
			return fmt.Errorf("connect to discord gateway: %w", err)
		}
	case <-ctx.Done():
		logger.Info("stopped before the gateway connection was made")
		go func() {
			if <-opened == nil {
				b.session.Close()
			}
		}()
		return nil
	}
	logger.Info("connected to discord gateway")

	select {
	case <-ctx.Done():
	case err := <-b.ready:
		if err != nil {
			b.session.Close()
			return err
		}
		<-ctx.Done()
	}

	logger.Info("shutting down: no new interactions")
	graceCtx, cancel := context.WithTimeout(context.Background(), b.opts.ShutdownGrace)
	defer cancel()
	if !r.close(graceCtx) {
		logger.Warn("interactions still running after the grace period; cancelling them")
		abandon()
		r.close(context.Background())
	}
	if err := b.session.Close(); err != nil {
		logger.Warn("close discord gateway", slog.Any("error", err))
	}
	logger.Info("disconnected from discord gateway")
	return nil
}

func (b *Bot) onReady(ctx context.Context, ready *discordgo.Ready) {
	logger := b.opts.Logger
	appID := b.opts.AppID
	if appID == "" && ready.Application != nil {
		appID = ready.Application.ID
	}
	logger.Info("gateway ready", slog.String("application_id", appID), slog.Int("guilds", len(ready.Guilds)))
	if !b.opts.SyncCommands {
		return
	}
	if appID == "" {
		b.ready <- fmt.Errorf("register commands: no application ID in DISCORD_APP_ID or in READY")
		return
	}
	if err := RegisterCommands(ctx, b.session, appID, b.opts.GuildID, b.commands); err != nil {
		logger.Error("register commands", slog.Any("error", err))
		return
	}
	logger.Info("commands registered", slog.Int("count", len(b.commands)), slog.String("guild_id", b.opts.GuildID))
}

// pooledTransport is http.DefaultTransport keeping enough idle connections
// per host for hundreds of interactions in flight: the default keeps two,
// so under load every other request to Discord would open a new connection.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	return t
}

// RegisterCommands replaces the application's commands with all, in one
// bulk overwrite, in one server when guildID is set and globally otherwise.
func RegisterCommands(ctx context.Context, session *discordgo.Session, appID, guildID string, all []*commands.Command) error {
	definitions := make([]*discordgo.ApplicationCommand, len(all))
	for i, c := range all {
		definitions[i] = c.Definition
	}
	body, err := commandsJSON(definitions)
	if err != nil {
		return err
	}
	endpoint := discordgo.EndpointApplicationGlobalCommands(appID)
	if guildID != "" {
		endpoint = discordgo.EndpointApplicationGuildCommands(appID, guildID)
	}
	if _, err := session.RequestWithBucketID(http.MethodPut, endpoint, body, endpoint, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("bulk overwrite %d commands: %w", len(definitions), err)
	}
	return nil
}

// commandsJSON encodes command definitions as discordgo does, except that
// default_member_permissions is a JSON integer, as Discord's OpenAPI
// document requires. discordgo v0.28.1 writes it as a string.
func commandsJSON(definitions []*discordgo.ApplicationCommand) (json.RawMessage, error) {
	raw, err := json.Marshal(definitions)
	if err != nil {
		return nil, fmt.Errorf("encode commands: %w", err)
	}
	var objects []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &objects); err != nil {
		return nil, fmt.Errorf("encode commands: %w", err)
	}
	for _, object := range objects {
		value, ok := object["default_member_permissions"]
		if !ok {
			continue
		}
		var text string
		if err := json.Unmarshal(value, &text); err != nil {
			continue // already a number or null
		}
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return nil, fmt.Errorf("encode commands: default_member_permissions %q is not a number", text)
		}
		object["default_member_permissions"] = json.RawMessage(text)
	}
	out, err := json.Marshal(objects)
	if err != nil {
		return nil, fmt.Errorf("encode commands: %w", err)
	}
	return out, nil
}
