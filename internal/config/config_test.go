package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
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
