package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/tallybot/tally/bot"
	"github.com/tallybot/tally/commands"
)

// defaultServeAddr is where `tally serve` listens when TALLY_LISTEN_ADDR
// is unset.
const defaultServeAddr = ":8080"

// runServe is `tally serve`: the same commands over Discord's HTTP
// interactions endpoint, for several stateless instances behind a load
// balancer.
func runServe(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, logger, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	if err := cfg.CheckServe(); err != nil {
		return fmt.Errorf("cannot start:\n%w", err)
	}
	publicKey, err := cfg.PublicKey()
	if err != nil {
		return err
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

	addr := cfg.ListenAddr
	if addr == "" {
		addr = defaultServeAddr
	}
	err = bot.Serve(ctx, bot.Options{
		AppID:        cfg.DiscordAppID,
		Access:       commands.Access{OwnerIDs: cfg.OwnerIDs, ModeratorRoleIDs: cfg.ModeratorRoleIDs},
		GuildID:      cfg.DiscordGuildID,
		SyncCommands: cfg.SyncCommands,
		Metrics:      a.metrics,
		Logger:       logger,
	}, bot.HTTPOptions{Addr: addr, PublicKey: publicKey, Health: a.db.PingContext, Metrics: a.metrics.Handler()}, session, a.commands, a.meter)
	if err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// startBackground runs the periodic recovery of pending charges and checks
// the configured models; the returned function stops the work and waits.
func (a *app) startBackground(ctx context.Context) func() {
	var background sync.WaitGroup
	backgroundCtx, stop := context.WithCancel(ctx)
	background.Add(1)
	go func() {
		defer background.Done()
		a.recoverPending(backgroundCtx)
	}()
	a.checkModels(ctx)
	return func() {
		stop()
		background.Wait()
	}
}
