package bot

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tallybot/tally/commands"
	"github.com/tallybot/tally/metering"
)

// HTTPOptions configure the HTTP listener of `tally serve` (and the
// health endpoint of `tally run`).
type HTTPOptions struct {
	// Addr is the listen address; port 0 picks a free port, which is logged.
	Addr      string
	PublicKey ed25519.PublicKey
	// Health reports whether the service can work, for GET /healthz.
	Health func(context.Context) error
	// Metrics, when set, serves GET /metrics.
	Metrics http.Handler
}

// Serve responds to interactions over Discord's HTTP interactions endpoint
// (POST /interactions) until ctx ends, then stops taking requests, waits
// up to ShutdownGrace for interactions in flight and returns. It registers
// the commands first when SyncCommands is set; DISCORD_APP_ID is required
// for that, since no READY event names the application.
func Serve(ctx context.Context, opts Options, httpOpts HTTPOptions, session *discordgo.Session, all []*commands.Command, meter *metering.Meter) error {
	logger := opts.Logger
	if opts.ShutdownGrace == 0 {
		opts.ShutdownGrace = 30 * time.Second
	}
	if opts.SyncCommands {
		if err := RegisterCommands(ctx, session, opts.AppID, opts.GuildID, all); err != nil {
			return err
		}
		logger.Info("commands registered", slog.Int("count", len(all)), slog.String("guild_id", opts.GuildID))
	}

	base, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	r := newRouter(base, all, meter, opts.Access, opts.Metrics, logger)
	mux := newMux(httpOpts)
	mux.Handle("/interactions", &interactionsHandler{
		publicKey: httpOpts.PublicKey,
		router:    r,
		rest:      restResponder{session: session},
		now:       time.Now,
		logger:    logger,
	})

	listener, err := net.Listen("tcp", httpOpts.Addr)
	if err != nil {
		return fmt.Errorf("listen on TALLY_LISTEN_ADDR %s: %w", httpOpts.Addr, err)
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	logger.Info("listening for interactions", slog.String("addr", listener.Addr().String()))

	select {
	case err := <-served:
		return fmt.Errorf("serve interactions: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down: no new interactions")
	graceCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownGrace)
	defer cancel()
	if err := server.Shutdown(graceCtx); err != nil {
		logger.Warn("stop HTTP listener", slog.Any("error", err))
	}
	if !r.close(graceCtx) {
		logger.Warn("interactions still running after the grace period; cancelling them")
		abandon()
		r.close(context.Background())
	}
	return nil
}

// ListenHealth serves /healthz (and /metrics when set) on addr until ctx
// ends; `tally run` uses it when TALLY_LISTEN_ADDR is set.
func ListenHealth(ctx context.Context, httpOpts HTTPOptions, logger *slog.Logger) error {
	listener, err := net.Listen("tcp", httpOpts.Addr)
	if err != nil {
		return fmt.Errorf("listen on TALLY_LISTEN_ADDR %s: %w", httpOpts.Addr, err)
	}
	server := &http.Server{Handler: newMux(httpOpts), ReadHeaderTimeout: 5 * time.Second}
	logger.Info("listening for health checks", slog.String("addr", listener.Addr().String()))
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(shutdownCtx)
	}()
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve health checks: %w", err)
	}
	return nil
}

func newMux(httpOpts HTTPOptions) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if httpOpts.Health != nil {
			if err := httpOpts.Health(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintln(w, `{"status":"unavailable","database":"unreachable"}`)
				return
			}
		}
		fmt.Fprintln(w, `{"status":"ok","database":"reachable"}`)
	})
	if httpOpts.Metrics != nil {
		mux.Handle("GET /metrics", httpOpts.Metrics)
	}
	return mux
}
