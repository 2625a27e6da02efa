package sender_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/gissim"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/steperr"
	"github.com/gispayments/gis-payments/internal/testkit"
)

func statuses(t *testing.T, e *testkit.Env, runID int64) string {
	var pkgs, pays, run string
	e.Store.Pool.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(DISTINCT status, ',') FROM package WHERE run_id = $1),
		(SELECT string_agg(DISTINCT status, ',') FROM payment WHERE run_id = $1),
		(SELECT status FROM run WHERE id = $1)`, runID).Scan(&pkgs, &pays, &run)
	return fmt.Sprintf("packages %s, payments %s, run %s", pkgs, pays, run)
}

func TestSendOnce(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	runID, ids := e.Packed(t, "uk1", 600, 1)
	res, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids})
	if err != nil || res.Sent != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := statuses(t, e, runID); got != "packages sent, payments sent, run sending" {
		t.Errorf("after send: %s", got)
	}
	// Duplicate invocations, one after the other and at once, send nothing again.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]})
			if err != nil || res.AlreadySent != 1 {
				t.Errorf("duplicate: %+v %v", res, err)
			}
		}()
	}
	wg.Wait()
	if e.Sim.Accepted() != 3 || e.Sim.Calls(gismessage.SupplierNotifications.SOAPAction()) != 3 {
		t.Errorf("GIS accepted %d messages in %d calls", e.Sim.Accepted(), e.Sim.Calls(gismessage.SupplierNotifications.SOAPAction()))
	}
}

// Two senders racing on one package: GIS sees the message twice at most and
// accepts it once; one store wins, the other finds it sent.
func TestConcurrentFirstSends(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	_, ids := e.Packed(t, "uk1", 10, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if e.Sim.Accepted() != 1 {
		t.Errorf("GIS accepted %d messages", e.Sim.Accepted())
	}
}

func TestInjectedFaultsAreRetried(t *testing.T) {
	for _, f := range []gissim.Injection{gissim.HTTP500, gissim.HTTP503, gissim.Slow, gissim.MalformedXML, gissim.SOAPFault, gissim.AcceptAndDrop} {
		t.Run(fmt.Sprint(f), func(t *testing.T) {
			ctx := context.Background()
			// Slow holds its reply until the client gives up; the retry must
			// get through in that time too, on a loaded machine (300 ms did not).
			e := testkit.New(t, 2*time.Second)
			pgtest.Organization(t, e.Store, "fkr", "ufkr")
			runID, ids := e.Packed(t, "fkr", 5, 3)
			e.Sim.Inject(gismessage.Notifications.SOAPAction(), f)
			_, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]})
			if steperr.KindOf(err) != steperr.TransientError {
				t.Fatalf("first attempt: %v (%s), want a transient error", err, steperr.KindOf(err))
			}
			if got := statuses(t, e, runID); got != "packages signed, payments queued, run packing" {
				t.Errorf("after the fault: %s", got)
			}
			if res, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); err != nil || res.Sent != 1 {
				t.Fatalf("retry: %+v %v", res, err)
			}
			if e.Sim.Accepted() != 1 {
				t.Errorf("GIS accepted %d messages", e.Sim.Accepted())
			}
		})
	}
}

// The dangerous case: GIS accepted, the store failed. The retry posts the
// same MessageGUID, gets the same Ack, and GIS still holds one package.
func TestCrashBetweenSendAndStore(t *testing.T) {
	ctx := context.Background()
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	runID, ids := e.Packed(t, "uk1", 20, 4)
	// The database refuses the first attempt to record an Ack, as a crash would lose it.
	if _, err := e.Store.Pool.Exec(ctx, `
		CREATE TABLE crash_once (done bool);
		CREATE FUNCTION crash_once() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.status = 'sent' AND NOT EXISTS (SELECT 1 FROM crash_once) THEN
				RAISE EXCEPTION 'simulated crash before the Ack was stored';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER crash_once BEFORE UPDATE ON package FOR EACH ROW EXECUTE FUNCTION crash_once();`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); steperr.KindOf(err) != steperr.TransientError {
		t.Fatalf("first attempt: %v", err)
	}
	e.Store.Pool.Exec(ctx, `INSERT INTO crash_once VALUES (true)`) // the next attempt gets through
	if e.Sim.Accepted() != 1 {
		t.Fatalf("GIS accepted %d messages before the retry", e.Sim.Accepted())
	}
	if res, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); err != nil || res.Sent != 1 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	if e.Sim.Accepted() != 1 {
		t.Errorf("GIS accepted %d messages after the retry", e.Sim.Accepted())
	}
	var ack string
	e.Store.Pool.QueryRow(ctx, `SELECT ack_message_guid::text FROM package WHERE id = $1`, ids[0]).Scan(&ack)
	if ack == "" {
		t.Errorf("no Ack stored; %s", statuses(t, e, runID))
	}
}

// refused packs three supplier payments of uk1 (export seed seed) into
// one package and has GIS answer its posts with the injections, in order.
func refused(t *testing.T, seed uint64, answers ...gissim.Injection) (*testkit.Env, int64, []int64) {
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	runID, ids := e.Packed(t, "uk1", 3, seed)
	e.Sim.Inject(gismessage.SupplierNotifications.SOAPAction(), answers...)
	return e, runID, ids
}

// A refusal decides the package's payments: a format error rejects them;
// a refusal after a post whose reply was lost proves nothing (GIS may hold
// the package from that post), so they are unknown, not retryable; a
// refusal without a code after certain posts is retryable by a later run.
func TestRefusals(t *testing.T) {
	for _, tt := range []struct {
		name    string
		seed    uint64
		answers []gissim.Injection // posts that fail on the way, then the refusal
		want    string
	}{
		{"format", 5, []gissim.Injection{gissim.RefuseFormat}, "packages failed, payments rejected, run finished_with_errors"},
		{"after a lost reply", 6, []gissim.Injection{gissim.AcceptAndDrop, gissim.HTTP403},
			"packages unknown, payments unknown, run finished_with_errors"},
		{"without a code", 7, []gissim.Injection{gissim.HTTP503, gissim.HTTP403}, "packages failed, payments error, run finished_with_errors"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e, runID, ids := refused(t, tt.seed, tt.answers...)
			for range len(tt.answers) - 1 { // the state machine retries these
				if _, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); steperr.KindOf(err) != steperr.TransientError {
					t.Fatalf("failed post: %v", err)
				}
			}
			if res, err := e.Send.Send(ctx, sender.Request{PackageID: ids[0]}); err != nil || res.Failed != 1 {
				t.Fatalf("refused post: %+v %v", res, err)
			}
			if got := statuses(t, e, runID); got != tt.want {
				t.Errorf("%s", got)
			}
		})
	}
}

// The sender starts no call it could not finish before its deadline.
func TestSenderStopsBeforeItsDeadline(t *testing.T) {
	e := testkit.New(t, 0)
	pgtest.Organization(t, e.Store, "uk1", "uk_rso")
	runID, ids := e.Packed(t, "uk1", 3, 8)
	e.Send.CallTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.Send.Send(ctx, sender.Request{PackageIDs: ids}); steperr.KindOf(err) != steperr.TransientError {
		t.Fatalf("%v", err)
	}
	if calls := e.Sim.Calls(gismessage.SupplierNotifications.SOAPAction()); calls != 0 {
		t.Errorf("%d calls", calls)
	}
	if got := statuses(t, e, runID); got != "packages signed, payments queued, run packing" {
		t.Errorf("%s", got)
	}
}
