// Package wiring wires what every function needs at cold start: the logger,
// the configuration, the database and S3. Functions keep only their own
// wiring in main.
package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/gispayments/gis-payments/internal/clock"
	"github.com/gispayments/gis-payments/internal/config"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/notify"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/signkey"
)

// App is what the step services are built from: the configuration and
// the parts. MustOpen fills it from the environment for a function; tests
// and local runs fill it with their own parts and use the same builders
// (services.go), so a step is wired one way everywhere.
type App struct {
	Config  config.Config
	GIS     config.GIS
	Log     *slog.Logger
	Store   *postgres.Store
	Objects *s3store.Store
	// GISClient calls GIS (sender, poller); MustGIS builds it.
	GISClient *gisclient.Client
	// Steps starts executions and completes task tokens; nil: neither.
	Steps *sfn.Client
	// Notifier sends "Run settled" events and notices; nil: none.
	Notifier *notify.Notifier
	// Signer signs every package; nil: each organisation's own key or
	// the operator's (Config.SigningKey), loaded per invocation.
	Signer  packer.Signer
	Metrics io.Writer // embedded-metric lines; nil: stdout
	Clock   clock.Func
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
	gis, err := config.LoadGIS()
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
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fail("aws config", err)
	}
	return &App{Config: cfg, GIS: gis, Log: log, Store: st, Objects: objs, Steps: sfn.NewFromConfig(awsCfg),
		Notifier: newNotifier(awsCfg), Metrics: MetricsWriter()}
}

// newNotifier sends the "Run settled" events (EVENTS_ENABLED=1; the stack
// sets it, a local run may leave it out) and the notices to
// NOTICES_TOPIC_ARN (empty: none).
func newNotifier(awsCfg aws.Config) *notify.Notifier {
	n := &notify.Notifier{TopicARN: os.Getenv("NOTICES_TOPIC_ARN"), Topic: sns.NewFromConfig(awsCfg)}
	if os.Getenv("EVENTS_ENABLED") == "1" {
		n.Events = eventbridge.NewFromConfig(awsCfg)
	}
	return n
}

// Fail logs why a function cannot start and exits non-zero.
func Fail(log *slog.Logger, what string, err error) {
	log.Error("start failed", "what", what, "error", err.Error())
	os.Exit(1)
}

// MustGIS builds the GIS client from the GIS settings, or exits.
func (a *App) MustGIS() {
	if auth := a.GIS.BasicAuth; auth != "" {
		var err error
		if strings.HasPrefix(auth, "arn:aws:secretsmanager:") {
			if auth, err = signkey.SecretString(context.Background(), auth); err != nil {
				Fail(a.Log, "GIS_BASIC_AUTH secret", err)
			}
		}
		if err := a.GIS.SetBasicAuth(auth); err != nil {
			Fail(a.Log, "config", err)
		}
	}
	client, err := gisclient.New(a.GIS.Client)
	if err != nil {
		Fail(a.Log, "gis client", err)
	}
	a.GISClient = client
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
