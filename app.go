package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/commands"
	"github.com/tallybot/tally/config"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/metrics"
	"github.com/tallybot/tally/migrations"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// app holds the services every subcommand that serves members uses, built
// once from the configuration.
type app struct {
	cfg      config.Config
	logger   *slog.Logger
	db       *bun.DB
	meter    *metering.Meter
	openai   *openaiclient.Client
	commands []*commands.Command
	metrics  *metrics.Metrics
}

// loadConfig reads the configuration and sets up logging.
func loadConfig(getenv func(string) string, stderr io.Writer) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	logger := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	return cfg, logger, nil
}

// openApp opens and migrates the database and builds the meter, the OpenAI
// client and the commands.
func openApp(ctx context.Context, cfg config.Config, logger *slog.Logger, onAlert func(context.Context, metering.BudgetAlert)) (*app, error) {
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	applied, err := migrations.Up(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		logger.Info("migrations applied", slog.Any("migrations", applied))
	}

	collectors := metrics.New()
	meter := metering.New(db, metering.Options{
		Observer:             collectors,
		Zone:                 cfg.Zone,
		Logger:               logger,
		DefaultDailyRequests: cfg.DefaultDailyRequests,
		UnpricedRequest:      cfg.UnpricedRequest,
		PromptRetention:      time.Duration(cfg.PromptRetentionDays) * 24 * time.Hour,
		DefaultDailyBudget:   cfg.DefaultDailyBudget,
		GlobalMonthlyBudget:  cfg.GlobalMonthlyBudget,
		AlertThresholds:      cfg.AlertThresholds,
		OnBudgetAlert:        onAlert,
	})
	client := openaiclient.New(openaiclient.Config{
		APIKey:     cfg.OpenAIAPIKey,
		BaseURL:    cfg.OpenAIBaseURL,
		HTTPClient: &http.Client{Transport: openAITransport(cfg.OpenAIConcurrency)},
		SafetyKey:  safetyKey(cfg),
		Logger:     logger,
	})
	deps := &commands.Deps{
		DB:              db,
		Meter:           meter,
		OpenAI:          client,
		Images:          client,
		SafetyID:        client.SafetyID,
		ImageModel:      cfg.ImageModel,
		AssistantModel:  cfg.AssistantModel,
		MaxToolRounds:   cfg.MaxToolRounds,
		AttachmentHosts: cfg.AttachmentHosts,
		HTTPClient:      &http.Client{Timeout: 2 * time.Minute},
		Zone:            cfg.Zone,
		Now:             time.Now,
		OpenAISlots:     make(chan struct{}, cfg.OpenAIConcurrency),
		OpenAITimeout:   cfg.OpenAITimeout,
		Logger:          logger,
		Defaults: commands.DefaultLimits{
			DailyRequests:       cfg.DefaultDailyRequests,
			DailyBudget:         cfg.DefaultDailyBudget,
			GlobalMonthlyBudget: cfg.GlobalMonthlyBudget,
		},
	}
	return &app{cfg: cfg, logger: logger, db: db, meter: meter, openai: client, commands: commands.All(deps), metrics: collectors}, nil
}

// openAITransport keeps an idle connection for each OpenAI request that
// may be in flight, so that requests reuse connections instead of opening
// new ones. http.DefaultTransport keeps two per host.
func openAITransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency
	t.MaxIdleConns = 2 * concurrency
	return t
}

// safetyKey is TALLY_SAFETY_KEY, or a key derived from the OpenAI API key,
// so that the hashed member IDs sent to OpenAI stay the same across
// restarts without another secret to manage.
func safetyKey(cfg config.Config) []byte {
	if len(cfg.SafetyKey) > 0 {
		return cfg.SafetyKey
	}
	mac := hmac.New(sha256.New, []byte(cfg.OpenAIAPIKey))
	mac.Write([]byte("tally safety identifier key"))
	return mac.Sum(nil)
}

// checkModels warns about configured models that the OpenAI server does not
// list or that have a shutdown date.
func (a *app) checkModels(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	statuses, err := a.openai.CheckModels(ctx, []string{a.cfg.ImageModel, a.cfg.AssistantModel})
	if err != nil {
		a.logger.Warn("could not list OpenAI models", slog.Any("error", err))
		return
	}
	for _, s := range statuses {
		switch {
		case !s.Exists:
			a.logger.Warn("configured model is not offered by the OpenAI server", slog.String("model", s.ID))
		case !s.ShutdownDate.IsZero():
			a.logger.Warn("configured model has a shutdown date", slog.String("model", s.ID),
				slog.String("shutdown_date", s.ShutdownDate.Format(time.DateOnly)))
		}
	}
}

// recoverPending settles stale pending ledger rows now and then every
// minute until ctx ends.
func (a *app) recoverPending(ctx context.Context) {
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	for {
		if n, err := a.meter.Recover(ctx, a.cfg.RecoverAfter); err != nil {
			if ctx.Err() == nil {
				a.logger.Error("recover pending charges", slog.Any("error", err))
			}
		} else if n > 0 {
			a.logger.Warn("recovered pending charges", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
