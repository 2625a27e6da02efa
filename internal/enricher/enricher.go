// Package enricher is the payment document lookup step, between
// reconciliation (and approval) and packing: a supplier's notification
// needs a PaymentDocumentID or a ServiceID, which bank registries rarely
// carry, so it asks GIS (exportPaymentDocumentDetails) by the unified
// account number and period the rows carry, caches the answers per
// organisation, gives the rows it could resolve their document (the
// packer then loads them in this run) and holds the rest with a reason.
//
// GIS answers asynchronously. One invocation sends the queries it has
// time for and asks getState for those sent before; while any is out, its
// result says Pending and the state machine calls it again after a wait.
// Each query's MessageGUID is stored before it is first sent, so a send
// whose reply was lost is repeated with it and nothing asked is lost or
// asked twice. A lookup moves no money: an answer that cannot be read only
// keeps its rows held this run.
package enricher

import (
	"context"
	"errors"
	"fmt"
	"github.com/gispayments/gis-payments/internal/clock"
	"log/slog"
	"sort"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/gisclient"
	"github.com/gispayments/gis-payments/internal/gismessage"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// GIS posts a signed query and asks for its state.
type GIS interface {
	Send(ctx context.Context, op gismessage.Operation, envelope []byte) (ackGUID string, reply []byte, err error)
	GetState(ctx context.Context, h gismessage.Header, ackGUID string) (*gisclient.State, []byte, error)
}

// Limiter paces requests to GIS across all invocations.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Defaults of the Service's limits.
const (
	DefaultFoundTTL    = 30 * 24 * time.Hour // a period's payment documents seldom change
	DefaultNotFoundTTL = 24 * time.Hour      // a document may be placed in GIS any day
	DefaultDeadline    = 15 * time.Minute    // a query's time to be answered, from its queueing
	DefaultMaxSends    = 5
)

// Service runs the step.
type Service struct {
	Store *postgres.Store
	GIS   GIS
	// SignerFor chooses who signs for an organisation, as the packer does
	// (packer.Service.SignerFor): its own key, or the operator's.
	SignerFor   func(ctx context.Context, org *postgres.Organization) (packer.Signer, bool, error)
	Limiter     Limiter       // nil: none
	CallTimeout time.Duration // one GIS call at most: none starts with less time left
	Concurrency int           // queries handled at once; 0: gisclient.DefaultConcurrency
	// FoundTTL and NotFoundTTL: how long a cached answer is taken instead
	// of asking (0: the defaults).
	FoundTTL, NotFoundTTL time.Duration
	Deadline              time.Duration // 0: DefaultDeadline
	MaxSends              int           // sends of one query without an Ack; 0: DefaultMaxSends
	Log                   *slog.Logger
	Clock                 clock.Func
}

// The step's request and result are the contract's.
type (
	Request = contract.EnricherRequest
	Result  = contract.EnricherResult
)

// Enrich looks up the payment documents of a run's supplier rows.
func (s *Service) Enrich(ctx context.Context, req Request) (*Result, error) {
	started := s.Clock.Now()
	if req.RunID <= 0 {
		return nil, steperr.E("enrich", steperr.InvalidInput, errors.New("the event has no run_id"))
	}
	org, rows, err := s.Store.RowsToLookUp(ctx, req.RunID)
	if errors.Is(err, postgres.ErrNotFound) || errors.Is(err, postgres.ErrNotReady) {
		return nil, steperr.E("enrich", steperr.InvalidInput, err)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{RunID: req.RunID, Rows: len(rows)}
	if len(rows) > 0 {
		if err := s.enrich(ctx, org, rows, res); err != nil {
			return nil, err
		}
	}
	res.DurationMillis = s.Clock.Now().Sub(started).Milliseconds()
	s.Log.Info("enriched", "run_id", req.RunID, "org", org.Code, "rows", res.Rows, "resolved", res.Resolved,
		"held", res.Held, "cache_hits", res.CacheHits, "asked", res.Asked, "doubtful", res.Doubtful,
		"pending", res.Pending, "duration_ms", res.DurationMillis)
	return res, nil
}

func (s *Service) enrich(ctx context.Context, org *postgres.Organization, rows []postgres.LookupRow, res *Result) error {
	byKey, holds := group(rows)
	keys := make([]postgres.DocumentKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	cached, err := s.cached(ctx, org, keys)
	if err != nil {
		return err
	}
	lookups, err := s.Store.LookupsOfRun(ctx, res.RunID)
	if err != nil {
		return err
	}
	asked := map[postgres.DocumentKey]bool{}
	for _, l := range lookups {
		asked[l.Key] = true
	}
	var missing []postgres.DocumentKey
	for _, k := range keys {
		_, hit := cached[k]
		switch {
		case hit && !asked[k]:
			res.CacheHits++
		case !hit && !asked[k]:
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		if err := s.Store.EnsureLookups(ctx, res.RunID, org.ID, missing); err != nil {
			return err
		}
		if lookups, err = s.Store.LookupsOfRun(ctx, res.RunID); err != nil {
			return err
		}
	}
	if err := s.drive(ctx, org, lookups, cached); err != nil {
		return err
	}
	if cached, err = s.cached(ctx, org, keys); err != nil { // with what GIS just answered
		return err
	}
	latest := map[postgres.DocumentKey]*postgres.Lookup{}
	for i := range lookups {
		l := &lookups[i]
		latest[l.Key] = l
		_, hit := cached[l.Key]
		res.Pending = res.Pending || (l.Open() && !hit)
		if l.Status == contract.LookupDoubtful {
			res.Doubtful++
		}
	}
	res.Asked = len(lookups)
	if res.Pending {
		return nil // the rows are settled together, once every answer is in
	}
	resolved, more := settleAll(keys, byKey, cached, latest)
	holds = append(holds, more...)
	res.Resolved, res.Held = len(resolved), len(holds)
	return s.Store.ResolveRows(ctx, res.RunID, resolved, holds)
}

// settleAll gives every row its document from the answers (cached), or
// holds it with the reason the answer or the failed lookup gives.
func settleAll(keys []postgres.DocumentKey, byKey map[postgres.DocumentKey][]postgres.LookupRow,
	cached map[postgres.DocumentKey][]postgres.Document, latest map[postgres.DocumentKey]*postgres.Lookup) ([]postgres.Resolved, []postgres.Hold) {
	var resolved []postgres.Resolved
	var holds []postgres.Hold
	for _, k := range keys {
		if docs, hit := cached[k]; hit {
			r, h := settle(k, docs, byKey[k])
			resolved, holds = append(resolved, r...), append(holds, h...)
			continue
		}
		for _, row := range byKey[k] {
			holds = append(holds, postgres.Hold{ReconRowID: row.ReconRowID, Reason: failedReason(latest[k])})
		}
	}
	return resolved, holds
}

func (s *Service) cached(ctx context.Context, org *postgres.Organization, keys []postgres.DocumentKey) (map[postgres.DocumentKey][]postgres.Document, error) {
	now := s.Clock.Now()
	return s.Store.CachedDocuments(ctx, org.ID, keys, now.Add(-orDefault(s.FoundTTL, DefaultFoundTTL)),
		now.Add(-orDefault(s.NotFoundTTL, DefaultNotFoundTTL)))
}

// group sorts rows by what they can be asked by; a row that cannot be
// asked is held with the reason.
func group(rows []postgres.LookupRow) (map[postgres.DocumentKey][]postgres.LookupRow, []postgres.Hold) {
	byKey := map[postgres.DocumentKey][]postgres.LookupRow{}
	var holds []postgres.Hold
	for _, r := range rows {
		q := gismessage.DocumentQuery{UnifiedAccountNumber: r.Key.UnifiedAccountNumber, Year: r.Key.Year, Month: r.Key.Month}
		if err := notEnough(q); err != nil {
			holds = append(holds, postgres.Hold{ReconRowID: r.ReconRowID,
				Reason: "not enough to ask GIS for the payment document: " + err.Error()})
			continue
		}
		byKey[r.Key] = append(byKey[r.Key], r)
	}
	return byKey, holds
}

func notEnough(q gismessage.DocumentQuery) error {
	switch {
	case q.UnifiedAccountNumber == "":
		return errors.New("the bank row has no unified_account_number")
	case q.Month == 0:
		return errors.New("the bank row has no period (MM.YYYY)")
	}
	return q.Check()
}

// settle gives each row of a key its document from GIS's answer, or holds
// it with the reason.
func settle(k postgres.DocumentKey, docs []postgres.Document, rows []postgres.LookupRow) ([]postgres.Resolved, []postgres.Hold) {
	var resolved []postgres.Resolved
	var holds []postgres.Hold
	for _, r := range rows {
		d, why := pick(k, docs, r.AccountNumber)
		if why != "" {
			holds = append(holds, postgres.Hold{ReconRowID: r.ReconRowID, Reason: why})
			continue
		}
		resolved = append(resolved, postgres.Resolved{ReconRowID: r.ReconRowID, PaymentDocumentID: d.PaymentDocumentID, ServiceID: d.ServiceID})
	}
	return resolved, holds
}

// pick chooses the one document that fits a row: of its period (when GIS
// gives one) and its account number (when both name one). Two or more
// that fit are held, never guessed: a payment placed on another
// consumer's document is worse than one placed a day later.
func pick(k postgres.DocumentKey, docs []postgres.Document, account string) (postgres.Document, string) {
	if len(docs) == 0 {
		return postgres.Document{}, fmt.Sprintf("payment document not found in GIS for %s (%s)", k, gismessage.NothingFound)
	}
	var fit []postgres.Document
	for _, d := range docs {
		if d.Year != 0 && (d.Year != k.Year || d.Month != k.Month) {
			continue
		}
		if account != "" && d.AccountNumber != "" && d.AccountNumber != account {
			continue
		}
		if len(fit) == 0 || fit[len(fit)-1] != d {
			fit = append(fit, d)
		}
	}
	switch len(fit) {
	case 1:
		return fit[0], ""
	case 0:
		return postgres.Document{}, fmt.Sprintf("GIS lists %d payment documents for %s, none for the row's account", len(docs), k)
	}
	return postgres.Document{}, fmt.Sprintf("GIS lists %d payment documents for %s that fit the row; which one is not clear", len(fit), k)
}

// failedReason is the hold reason for the rows of a query GIS did not answer.
func failedReason(l *postgres.Lookup) string {
	switch l.Status {
	case contract.LookupDoubtful:
		return fmt.Sprintf("GIS's answer to the payment document lookup for %s could not be read; held this run: %s", l.Key, l.Error)
	case contract.LookupExpired:
		return fmt.Sprintf("GIS did not answer the payment document lookup for %s in time", l.Key)
	}
	return fmt.Sprintf("the payment document lookup for %s failed: %s", l.Key, l.Error)
}

// drive sends the queued queries and asks getState for the sent ones, as
// many at once as Concurrency allows, while there is time for a call.
func (s *Service) drive(ctx context.Context, org *postgres.Organization, lookups []postgres.Lookup,
	cached map[postgres.DocumentKey][]postgres.Document) error {
	var open []*postgres.Lookup
	for i := range lookups {
		if _, hit := cached[lookups[i].Key]; lookups[i].Open() && !hit {
			open = append(open, &lookups[i])
		}
	}
	if len(open) == 0 {
		return nil
	}
	signer, operator, err := s.SignerFor(ctx, org)
	if err != nil {
		return err
	}
	c := &call{Service: s, org: org, signer: signer, operator: operator}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(orDefault(s.Concurrency, gisclient.DefaultConcurrency))
	for _, l := range open {
		g.Go(func() error { return c.step(gctx, l) })
	}
	return g.Wait()
}

// call is one invocation's work on the open queries of a run.
type call struct {
	*Service
	org      *postgres.Organization
	signer   packer.Signer
	operator bool
}

// step moves one open query on by one call at most: expired, sent, or
// answered. A transient failure leaves it as it was, for the next call.
func (c *call) step(ctx context.Context, l *postgres.Lookup) error {
	if c.Clock.Now().Sub(l.CreatedAt) > orDefault(c.Deadline, DefaultDeadline) {
		return c.finish(ctx, l, contract.LookupExpired, "", nil)
	}
	if !gisclient.TimeForACall(ctx, c.CallTimeout) {
		return nil
	}
	if c.Limiter != nil {
		if err := c.Limiter.Wait(ctx); err != nil {
			return err
		}
	}
	if l.Status == contract.LookupQueued {
		return c.send(ctx, l)
	}
	return c.poll(ctx, l)
}

func (c *call) send(ctx context.Context, l *postgres.Lookup) error {
	if l.Sends >= orDefault(c.MaxSends, DefaultMaxSends) {
		return c.finish(ctx, l, contract.LookupFailed, fmt.Sprintf("GIS did not acknowledge the query after %d tries", l.Sends), nil)
	}
	doc, req, err := gismessage.BuildDocumentQuery(c.header(l.MessageGUID),
		gismessage.DocumentQuery{UnifiedAccountNumber: l.Key.UnifiedAccountNumber, Year: l.Key.Year, Month: l.Key.Month})
	if err != nil {
		return c.finish(ctx, l, contract.LookupFailed, err.Error(), nil)
	}
	if _, err := c.signer.SignContent(req, nil); err != nil {
		return fmt.Errorf("enrich: sign lookup %d: %w", l.ID, err)
	}
	data, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	if err := c.Store.LookupSending(ctx, l.ID); err != nil {
		return err
	}
	ack, _, err := c.GIS.Send(ctx, gismessage.DocumentDetails, data)
	var ge *gisclient.Error
	switch {
	case errors.As(err, &ge) && !ge.Disposition.CallAgain() && !ge.Uncertain():
		return c.finish(ctx, l, contract.LookupFailed, ge.Error(), nil)
	case err != nil:
		// Lost, refused for now or unreadable: sent again next time with
		// the same MessageGUID, which GIS answers with its first Ack.
		c.Log.Warn("lookup not acknowledged", "lookup_id", l.ID, "error", err.Error())
		return nil
	}
	return c.Store.LookupSent(ctx, l.ID, ack)
}

func (c *call) poll(ctx context.Context, l *postgres.Lookup) error {
	st, _, err := c.GIS.GetState(ctx, c.header(uuid.NewString()), l.AckGUID)
	var ge *gisclient.Error
	switch {
	case errors.As(err, &ge) && ge.Disposition == gisclient.Unreadable:
		return c.finish(ctx, l, contract.LookupDoubtful, ge.Error(), nil)
	case errors.As(err, &ge) && !ge.Disposition.CallAgain():
		return c.finish(ctx, l, contract.LookupFailed, ge.Error(), nil)
	case err != nil:
		c.Log.Warn("lookup state not read", "lookup_id", l.ID, "error", err.Error())
		return nil
	case !st.Done():
		return nil
	case st.ErrorCode == gismessage.NothingFound:
		return c.finish(ctx, l, contract.LookupNotFound, "", nil)
	case st.ErrorCode != "":
		return c.finish(ctx, l, contract.LookupFailed, st.ErrorCode+": "+st.ErrorText, nil)
	case !st.Exported:
		return c.finish(ctx, l, contract.LookupDoubtful, "a processed state without the export's result", nil)
	case len(st.Documents) == 0:
		return c.finish(ctx, l, contract.LookupNotFound, "", nil)
	}
	docs := make([]postgres.Document, len(st.Documents))
	for i, d := range st.Documents {
		docs[i] = postgres.Document{PaymentDocumentID: d.PaymentDocumentID, ServiceID: d.ServiceID,
			AccountNumber: d.AccountNumber, Year: d.Year, Month: d.Month}
	}
	return c.finish(ctx, l, contract.LookupFound, "", docs)
}

func (c *call) finish(ctx context.Context, l *postgres.Lookup, status contract.LookupStatus, why string, docs []postgres.Document) error {
	if err := c.Store.FinishLookup(ctx, l, c.org.ID, status, why, docs); err != nil {
		return err
	}
	l.Status, l.Error = status, why
	return nil
}

func (c *call) header(messageGUID string) gismessage.Header {
	return gismessage.Header{Date: c.Clock.Now(), MessageGUID: messageGUID, OrgPPAGUID: c.org.OrgPPAGUID, OperatorSignature: c.operator}
}

func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
