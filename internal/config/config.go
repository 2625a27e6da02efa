// Package config reads the environment once at start. Every variable is
// listed in README.md; secrets are masked when the config is logged.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"

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
	c := Config{
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		Migrate:         os.Getenv("DB_MIGRATE") == "1" || os.Getenv("DB_MIGRATE") == "true",
		ExportsBucket:   os.Getenv("EXPORTS_BUCKET"),
		ArchiveBucket:   os.Getenv("ARCHIVE_BUCKET"),
		StateMachineARN: os.Getenv("STATE_MACHINE_ARN"),
		SigningKey:      os.Getenv("GIS_SIGNING_KEY"),
		SigningCert:     os.Getenv("GIS_SIGNING_CERT"),
	}
	for _, name := range required {
		if os.Getenv(name) == "" {
			return c, fmt.Errorf("config: %s is not set", name)
		}
	}
	var err error
	if c.Limits.MaxBytes, err = intVar("MAX_EXPORT_BYTES", exportcsv.DefaultMaxBytes); err != nil {
		return c, err
	}
	rows, err := intVar("MAX_EXPORT_ROWS", exportcsv.DefaultMaxRows)
	c.Limits.MaxRows = int(rows)
	if err != nil {
		return c, err
	}
	attempts, err := intVar("PAYMENT_MAX_ATTEMPTS", postgres.DefaultMaxAttempts)
	c.MaxAttempts = int(attempts)
	return c, err
}

func intVar(name string, def int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive whole number", name, v)
	}
	return n, nil
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
