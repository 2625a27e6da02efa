package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/enricher"
)

func TestLoad(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://app:s3cret@db:5432/gis?sslmode=require")
	t.Setenv("EXPORTS_BUCKET", "exports")
	t.Setenv("MAX_EXPORT_BYTES", "1000")
	c, err := Load("DATABASE_URL", "EXPORTS_BUCKET")
	if err != nil || c.Limits.MaxBytes != 1000 || c.Limits.MaxRows <= 0 {
		t.Fatalf("%+v %v", c, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	if strings.Contains(buf.String(), "s3cret") || !strings.Contains(buf.String(), "app:xxxxx@db") {
		t.Errorf("logged %s", buf.String())
	}
	if _, err := Load("STATE_MACHINE_ARN"); err == nil || !strings.Contains(err.Error(), "STATE_MACHINE_ARN is not set") {
		t.Errorf("missing variable: %v", err)
	}
	t.Setenv("MAX_EXPORT_ROWS", "-5")
	if _, err := Load(); err == nil {
		t.Error("negative MAX_EXPORT_ROWS accepted")
	}
}

// GIS_BASIC_AUTH is a secret: a malformed one is refused without echoing it.
func TestBasicAuthNeverEchoed(t *testing.T) {
	var g GIS
	if err := g.SetBasicAuth("no-colon-secret"); err == nil || strings.Contains(err.Error(), "no-colon-secret") {
		t.Errorf("malformed: %v", err)
	}
	if err := g.SetBasicAuth("sit-user:pa:ss"); err != nil || g.Client.BasicUser != "sit-user" || g.Client.BasicPassword != "pa:ss" {
		t.Errorf("user:password: %+v %v", g.Client, err)
	}
}

// Numbers and durations are checked; unset ones take the defaults, the
// same as an empty environment's.
func TestLoadGIS(t *testing.T) {
	t.Setenv("PAYMENT_MAX_AGE_HOURS", "6")
	t.Setenv("LOOKUP_NOT_FOUND_TTL_HOURS", "3")
	g, err := LoadGIS()
	if err != nil || g.PaymentMaxAge != 6*time.Hour || g.Lookup.NotFoundTTL != 3*time.Hour || g.Lookup.FoundTTL != enricher.DefaultFoundTTL ||
		g.Lookup.Deadline != enricher.DefaultDeadline || g.Lookup.MaxSends != enricher.DefaultMaxSends || g.RunTimeout != DefaultGIS().RunTimeout || g.Concurrency != DefaultGIS().Concurrency {
		t.Fatalf("%+v %v", g, err)
	}
	for name, v := range map[string]string{"PAYMENT_MAX_AGE_HOURS": "two days", "GIS_TIMEOUT": "60", "GIS_CONCURRENCY": "0", "GIS_RATE_PER_SECOND": "-1",
		"LOOKUP_DEADLINE": "15", "LOOKUP_MAX_SENDS": "many", "LOOKUP_FOUND_TTL_DAYS": "0"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			if _, err := LoadGIS(); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v", name, v, err)
			}
		})
	}
	if d := Default(); d.Limits.MaxRows <= 0 || d.MaxAttempts <= 0 || d.DatabaseURL != "" {
		t.Errorf("Default() = %+v", d)
	}
}
