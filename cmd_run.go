package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/tallybot/tally/bot"
	"github.com/tallybot/tally/commands"
	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
)

// runBot is `tally run`: migrate, connect to the gateway, serve until a
// signal, then shut down gracefully.
func runBot(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, logger, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	if err := cfg.CheckRun(); err != nil {
		return fmt.Errorf("cannot start:\n%w", err)
	}
	session, err := bot.NewSession(cfg.DiscordToken, cfg.DiscordAPIURL)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, bot.AlertPoster(session, cfg.AlertChannelID, logger))
	if err != nil {
		return err
	}
	defer a.db.Close()

	stopBackground := a.startBackground(ctx)
	defer stopBackground()
	if cfg.ListenAddr != "" {
		go func() {
			err := bot.ListenHealth(ctx, bot.HTTPOptions{Addr: cfg.ListenAddr, Health: a.db.PingContext, Metrics: a.metrics.Handler()}, logger)
			if err != nil {
				logger.Error("health listener stopped", slog.Any("error", err))
			}
		}()
	}

	b, err := bot.New(bot.Options{
		AppID:        cfg.DiscordAppID,
		Access:       commands.Access{OwnerIDs: cfg.OwnerIDs, ModeratorRoleIDs: cfg.ModeratorRoleIDs},
		GuildID:      cfg.DiscordGuildID,
		SyncCommands: cfg.SyncCommands,
		Metrics:      a.metrics,
		Logger:       logger,
	}, session, a.commands, a.meter)
	if err != nil {
		return err
	}
	if err := b.Run(ctx); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// runMigrate is `tally migrate up|down|status`.
func runMigrate(ctx context.Context, direction string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	switch direction {
	case "up":
		applied, err := migrations.Up(ctx, db)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "database is up to date")
		}
		for _, name := range applied {
			fmt.Fprintln(stdout, "applied", name)
		}
	case "down":
		rolledBack, err := migrations.Down(ctx, db)
		if err != nil {
			return err
		}
		if len(rolledBack) == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		}
		for _, name := range rolledBack {
			fmt.Fprintln(stdout, "rolled back", name)
		}
	case "status":
		all, err := migrations.Status(ctx, db)
		if err != nil {
			return err
		}
		for _, m := range all {
			state := "pending"
			if m.IsApplied() {
				state = "applied " + m.MigratedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(stdout, "%s_%s\t%s\n", m.Name, m.Comment, state)
		}
	default:
		return &usageError{fmt.Sprintf("unknown migrate direction %q: use up, down or status", direction)}
	}
	logger.Debug("migrate finished", slog.String("direction", direction))
	return nil
}

// syncCommands is `tally commands sync`: register the slash commands and exit.
func syncCommands(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, logger, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.DiscordToken == "" || cfg.DiscordAppID == "" {
		return fmt.Errorf("commands sync needs DISCORD_TOKEN and DISCORD_APP_ID (the application ID on the General Information page)")
	}
	session, err := bot.NewSession(cfg.DiscordToken, cfg.DiscordAPIURL)
	if err != nil {
		return err
	}
	// Only the definitions are registered, so the handlers need no database.
	all := commands.All(&commands.Deps{})
	if err := bot.RegisterCommands(ctx, session, cfg.DiscordAppID, cfg.DiscordGuildID, all); err != nil {
		return err
	}
	logger.Info("commands registered", slog.Int("count", len(all)), slog.String("guild_id", cfg.DiscordGuildID))
	return nil
}
