package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/poller"
)

// GIS is how the sender and poller reach GIS ZhKKh.
type GIS struct {
	Client         gisclient.Config
	RatePerSecond  float64       // GIS_RATE_PER_SECOND: across all invocations (internal/ratelimit); 0 for no limit
	Concurrency    int           // GIS_CONCURRENCY: calls at once per invocation
	PackageSize    int           // GIS_PACKAGE_SIZE: items per package below the schema maximum
	RunTimeout     time.Duration // RUN_TIMEOUT: a run still waiting after this is timed_out
	PollGrace      time.Duration // POLL_GRACE: the sweep leaves younger packages to their run
	DoubtLimit     int           // GIS_DOUBT_LIMIT: doubtful getState answers in a row before a package is unknown
	ReconRetention time.Duration // RECON_RETENTION_DAYS: the sweep retires recon rows of runs settled longer ago
	// BasicAuth is GIS_BASIC_AUTH: "user:password" for GIS's test stand, or
	// the ARN of a secret holding it; SetBasicAuth puts it into Client.
	BasicAuth string
}

// SetBasicAuth puts "user:password" into the client settings. The value is
// a secret: an error never echoes it.
func (g *GIS) SetBasicAuth(v string) error {
	user, pass, ok := strings.Cut(v, ":")
	if !ok || user == "" {
		return errors.New("config: GIS_BASIC_AUTH is not user:password (nor the ARN of a secret holding it)")
	}
	g.Client.BasicUser, g.Client.BasicPassword = user, pass
	return nil
}

// LoadGIS reads the GIS settings.
func LoadGIS() (GIS, error) {
	g := GIS{Client: gisclient.Config{
		Endpoint:   os.Getenv("GIS_ENDPOINT"),
		CABundle:   os.Getenv("GIS_CA_BUNDLE"),
		ClientCert: os.Getenv("GIS_CLIENT_CERT"),
		ClientKey:  os.Getenv("GIS_CLIENT_KEY"),
	}}
	g.BasicAuth = os.Getenv("GIS_BASIC_AUTH")
	var err error
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{{"GIS_TIMEOUT", &g.Client.Timeout, gisclient.DefaultTimeout}, {"RUN_TIMEOUT", &g.RunTimeout, poller.DefaultRunTimeout},
		{"POLL_GRACE", &g.PollGrace, poller.DefaultGrace}}
	for _, d := range durations {
		if *d.dst, err = durationVar(d.name, d.def); err != nil {
			return g, err
		}
	}
	n, err := intVar("GIS_CONCURRENCY", gisclient.DefaultConcurrency)
	if err != nil {
		return g, err
	}
	g.Concurrency = int(n)
	if n, err = intVar("GIS_PACKAGE_SIZE", gisclient.DefaultPackageSize); err != nil {
		return g, err
	}
	g.PackageSize = int(n)
	if n, err = intVar("GIS_DOUBT_LIMIT", poller.DefaultDoubtLimit); err != nil {
		return g, err
	}
	g.DoubtLimit = int(n)
	if g.Client.MaxReply, err = intVar("GIS_MAX_REPLY_BYTES", gisclient.DefaultMaxReply); err != nil {
		return g, err
	}
	if n, err = intVar("RECON_RETENTION_DAYS", poller.DefaultReconRetentionDays); err != nil {
		return g, err
	}
	g.ReconRetention = time.Duration(n) * 24 * time.Hour
	if v := os.Getenv("GIS_RATE_PER_SECOND"); v != "" {
		if g.RatePerSecond, err = strconv.ParseFloat(v, 64); err != nil || g.RatePerSecond < 0 {
			return g, fmt.Errorf("config: GIS_RATE_PER_SECOND=%q is not a non-negative number", v)
		}
	}
	return g, nil
}

func durationVar(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive duration (e.g. 20m)", name, v)
	}
	return d, nil
}
