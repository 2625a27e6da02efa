// Package app wires what every function needs at cold start: the logger,
// the configuration, the database and S3. Functions keep only their own
// wiring in main.
package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/ratelimit"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/signkey"
)

// App is a function's shared dependencies.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Store   *postgres.Store
	Objects *s3store.Store
}

// MustOpen opens everything or exits: a function that cannot start should
// fail its init, visibly, rather than every invocation.
func MustOpen(step string, required ...string) *App {
	log := NewLogger(step)
	ctx := context.Background()
	cfg, err := config.Load(append([]string{"DATABASE_URL"}, required...)...)
	fail := func(what string, err error) { Fail(log, what, err) }
	if err != nil {
		fail("config", err)
	}
	if arn := os.Getenv("DATABASE_SECRET_ARN"); arn != "" {
		if cfg.DatabaseURL, err = withSecretPassword(ctx, cfg.DatabaseURL, arn); err != nil {
			fail("database secret", err)
		}
	}
	log.Debug("config", "config", cfg)
	st, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		fail("database", err)
	}
	st.MaxAttempts = cfg.MaxAttempts
	if cfg.Migrate {
		if err := st.Migrate(ctx); err != nil {
			fail("migrate", err)
		}
	}
	objs, err := s3store.New(ctx)
	if err != nil {
		fail("s3", err)
	}
	return &App{Config: cfg, Log: log, Store: st, Objects: objs}
}

// Fail logs why a function cannot start and exits non-zero.
func Fail(log *slog.Logger, what string, err error) {
	log.Error("start failed", "what", what, "error", err.Error())
	os.Exit(1)
}

// MustGIS reads the GIS settings and builds the client, or exits.
func (a *App) MustGIS() (config.GIS, *gisclient.Client) {
	gis, err := config.LoadGIS()
	if err != nil {
		Fail(a.Log, "config", err)
	}
	if auth := gis.BasicAuth; auth != "" {
		if strings.HasPrefix(auth, "arn:aws:secretsmanager:") {
			if auth, err = signkey.SecretString(context.Background(), auth); err != nil {
				Fail(a.Log, "GIS_BASIC_AUTH secret", err)
			}
		}
		if err := gis.SetBasicAuth(auth); err != nil {
			Fail(a.Log, "config", err)
		}
	}
	client, err := gisclient.New(gis.Client)
	if err != nil {
		Fail(a.Log, "gis client", err)
	}
	return gis, client
}

// withSecretPassword puts the password of an RDS-generated secret (JSON
// with "username" and "password") into the database URL.
func withSecretPassword(ctx context.Context, dbURL, arn string) (string, error) {
	raw, err := signkey.SecretString(ctx, arn)
	if err != nil {
		return "", err
	}
	var creds struct{ Username, Password string }
	if err := json.Unmarshal([]byte(raw), &creds); err != nil || creds.Password == "" {
		return "", errors.New("the database secret is not JSON with a password")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	user := creds.Username
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, creds.Password)
	return u.String(), nil
}

// Sender is the sender step as both the sender and the poller's sweep
// use it.
func (a *App) Sender(gis config.GIS, client *gisclient.Client) *sender.Service {
	svc := &sender.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket, GIS: client,
		Concurrency: gis.Concurrency, CallTimeout: gis.Client.Timeout, Log: a.Log}
	if l := a.GISLimiter(gis); l != nil {
		svc.Limiter = l
	}
	return svc
}

// GISLimiter paces every request to GIS, imports and getState alike, at
// GIS_RATE_PER_SECOND across all invocations; nil when it is 0.
func (a *App) GISLimiter(gis config.GIS) *ratelimit.Limiter {
	if gis.RatePerSecond <= 0 {
		return nil
	}
	return &ratelimit.Limiter{Pool: a.Store.Pool, Name: "gis", Rate: gis.RatePerSecond}
}
