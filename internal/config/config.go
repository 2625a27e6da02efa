// Package config reads the environment once at start. Every variable is
// listed in README.md; secrets are masked when the config is logged.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"

	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// Config is what the functions need from the environment.
type Config struct {
	DatabaseURL     string // DATABASE_URL
	Migrate         bool   // DB_MIGRATE: apply migrations at cold start (local runs)
	ExportsBucket   string // EXPORTS_BUCKET: incoming/ exports and reports/
	ArchiveBucket   string // ARCHIVE_BUCKET: signed requests and responses
	StateMachineARN string // STATE_MACHINE_ARN: empty outside AWS
	SigningKey      string // GIS_SIGNING_KEY: a Secrets Manager ARN, or a PEM file locally
	SigningCert     string // GIS_SIGNING_CERT: the certificate's PEM file when not bundled with the key
	MaxAttempts     int    // PAYMENT_MAX_ATTEMPTS: sends of one order before a retryable error is final
	Limits          exportcsv.Limits
}

// Load reads the environment; required names the variables that must be set.
func Load(required ...string) (Config, error) {
	for _, name := range required {
		if os.Getenv(name) == "" {
			return Config{}, fmt.Errorf("config: %s is not set", name)
		}
	}
	return load(os.Getenv)
}

// Default is the configuration of an empty environment: every default, no
// database, no buckets. Tests and local wiring start from it.
func Default() Config {
	c, _ := load(noEnv) // defaults always parse
	return c
}

func load(e env) (Config, error) {
	c := Config{
		DatabaseURL:     e("DATABASE_URL"),
		Migrate:         e("DB_MIGRATE") == "1" || e("DB_MIGRATE") == "true",
		ExportsBucket:   e("EXPORTS_BUCKET"),
		ArchiveBucket:   e("ARCHIVE_BUCKET"),
		StateMachineARN: e("STATE_MACHINE_ARN"),
		SigningKey:      e("GIS_SIGNING_KEY"),
		SigningCert:     e("GIS_SIGNING_CERT"),
	}
	var err error
	if c.Limits.MaxBytes, err = e.whole("MAX_EXPORT_BYTES", exportcsv.DefaultMaxBytes); err != nil {
		return c, err
	}
	rows, err := e.whole("MAX_EXPORT_ROWS", exportcsv.DefaultMaxRows)
	c.Limits.MaxRows = int(rows)
	if err != nil {
		return c, err
	}
	attempts, err := e.whole("PAYMENT_MAX_ATTEMPTS", postgres.DefaultMaxAttempts)
	c.MaxAttempts = int(attempts)
	return c, err
}

// LogValue shows the configuration with the database password masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database", maskURL(c.DatabaseURL)),
		slog.Bool("migrate", c.Migrate),
		slog.String("exports_bucket", c.ExportsBucket),
		slog.String("archive_bucket", c.ArchiveBucket),
		slog.String("state_machine", c.StateMachineARN),
		slog.Int64("max_export_bytes", c.Limits.MaxBytes),
		slog.Int("max_export_rows", c.Limits.MaxRows),
		slog.Int("payment_max_attempts", c.MaxAttempts),
	)
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
