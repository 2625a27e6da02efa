package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gispayments/gis-payments/internal/enricher"
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
	PaymentMaxAge  time.Duration // PAYMENT_MAX_AGE_HOURS: payments unloaded longer are counted by the sweep
	Lookup         Lookup
	// BasicAuth is GIS_BASIC_AUTH: "user:password" for GIS's test stand, or
	// the ARN of a secret holding it; SetBasicAuth puts it into Client.
	BasicAuth string
}

// Lookup is how the enricher asks GIS for payment documents.
type Lookup struct {
	Deadline    time.Duration // LOOKUP_DEADLINE: a query unanswered this long holds its rows for the run
	MaxSends    int           // LOOKUP_MAX_SENDS: sends of one query without an Ack
	FoundTTL    time.Duration // LOOKUP_FOUND_TTL_DAYS: a cached "found" is taken instead of asking
	NotFoundTTL time.Duration // LOOKUP_NOT_FOUND_TTL_HOURS: a cached "nothing found" likewise
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
func LoadGIS() (GIS, error) { return loadGIS(os.Getenv) }

// DefaultGIS is the GIS settings of an empty environment: every default,
// no endpoint.
func DefaultGIS() GIS {
	g, _ := loadGIS(noEnv) // defaults always parse
	return g
}

func loadGIS(e env) (GIS, error) {
	g := GIS{Client: gisclient.Config{
		Endpoint:   e("GIS_ENDPOINT"),
		CABundle:   e("GIS_CA_BUNDLE"),
		ClientCert: e("GIS_CLIENT_CERT"),
		ClientKey:  e("GIS_CLIENT_KEY"),
	}, BasicAuth: e("GIS_BASIC_AUTH")}
	var err error
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{{"GIS_TIMEOUT", &g.Client.Timeout, gisclient.DefaultTimeout}, {"RUN_TIMEOUT", &g.RunTimeout, poller.DefaultRunTimeout},
		{"POLL_GRACE", &g.PollGrace, poller.DefaultGrace}, {"LOOKUP_DEADLINE", &g.Lookup.Deadline, enricher.DefaultDeadline}} {
		if *d.dst, err = e.duration(d.name, d.def); err != nil {
			return g, err
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
		def  int64
	}{{"GIS_CONCURRENCY", &g.Concurrency, gisclient.DefaultConcurrency}, {"GIS_PACKAGE_SIZE", &g.PackageSize, gisclient.DefaultPackageSize},
		{"GIS_DOUBT_LIMIT", &g.DoubtLimit, poller.DefaultDoubtLimit}, {"LOOKUP_MAX_SENDS", &g.Lookup.MaxSends, enricher.DefaultMaxSends}} {
		v, err := e.whole(n.name, n.def)
		if err != nil {
			return g, err
		}
		*n.dst = int(v)
	}
	if g.Client.MaxReply, err = e.whole("GIS_MAX_REPLY_BYTES", gisclient.DefaultMaxReply); err != nil {
		return g, err
	}
	if g.ReconRetention, err = e.wholeUnits("RECON_RETENTION_DAYS", poller.DefaultReconRetentionDays, 24*time.Hour); err != nil {
		return g, err
	}
	if g.PaymentMaxAge, err = e.wholeUnits("PAYMENT_MAX_AGE_HOURS", poller.DefaultPaymentMaxAgeHours, time.Hour); err != nil {
		return g, err
	}
	if g.Lookup.FoundTTL, err = e.wholeUnits("LOOKUP_FOUND_TTL_DAYS", int64(enricher.DefaultFoundTTL/(24*time.Hour)), 24*time.Hour); err != nil {
		return g, err
	}
	if g.Lookup.NotFoundTTL, err = e.wholeUnits("LOOKUP_NOT_FOUND_TTL_HOURS", int64(enricher.DefaultNotFoundTTL/time.Hour), time.Hour); err != nil {
		return g, err
	}
	if v := e("GIS_RATE_PER_SECOND"); v != "" {
		if g.RatePerSecond, err = strconv.ParseFloat(v, 64); err != nil || g.RatePerSecond < 0 {
			return g, fmt.Errorf("config: GIS_RATE_PER_SECOND=%q is not a non-negative number", v)
		}
	}
	return g, nil
}
