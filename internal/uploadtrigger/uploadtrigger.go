// Package ingest is the upload trigger: for each uploaded export it checks
// the header, registers the file once per (bucket, key, etag), and starts a
// run when both sides of an organisation's exports are there. Events may
// come twice or out of order; neither registers nor starts anything twice.
package uploadtrigger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Starter starts a state machine execution. A second start with the same
// name must succeed without starting anything (started=false).
type Starter interface {
	Start(ctx context.Context, name string, input []byte) (started bool, err error)
}

// Service handles upload events.
type Service struct {
	Store   *postgres.Store
	Objects *s3store.Store
	Starter Starter
	Limits  exportcsv.Limits
	Log     *slog.Logger
	// Approvals takes approvals/<run>.csv uploads; nil: they are ignored.
	Approvals Approvals
}

// The handler's result types are the contract's.
type (
	FileResult = contract.FileResult
	Execution  = contract.Execution
	Result     = contract.UploadTriggerResult
)

// Handle processes every record of an S3 event. A record that cannot be
// processed for a transient reason fails the whole event, so S3/Lambda
// retries it; the records already done are recognised as duplicates.
func (s *Service) Handle(ctx context.Context, ev events.S3Event) (*Result, error) {
	res := &Result{}
	for _, rec := range ev.Records {
		fr, err := s.handleRecord(ctx, rec)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, *fr)
	}
	return res, nil
}

// location is what an incoming key says: incoming/<kind>/<org>/<name>.
type location struct {
	kind exportcsv.Kind
	org  string
	name string
}

func parseKey(key string) (location, error) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0] != "incoming" {
		return location{}, fmt.Errorf("not an export: keys look like incoming/<billing|acquiring>/<org>/<file>.csv")
	}
	kind, ok := exportcsv.ParseKind(parts[1])
	if !ok {
		return location{}, fmt.Errorf("unknown kind %q: the folder must be billing or acquiring", parts[1])
	}
	if parts[2] == "" || parts[3] == "" {
		return location{}, fmt.Errorf("the key lacks an organisation or a file name")
	}
	return location{kind: kind, org: parts[2], name: parts[3]}, nil
}

// handleRecord routes one S3 record: a cancellations export, an approval
// file, or an export to register and pair.
func (s *Service) handleRecord(ctx context.Context, rec events.S3EventRecord) (*FileResult, error) {
	// Keys arrive URL-encoded, with '+' for spaces (Cyrillic names included).
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		return nil, steperr.E("upload", steperr.InvalidInput, fmt.Errorf("undecodable key %q: %w", rec.S3.Object.Key, err))
	}
	if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
		return &FileResult{Key: key, Status: "ignored"}, nil
	}
	if org, ok := cancellationsOrg(key); ok {
		return s.startCancellation(ctx, rec, key, org)
	}
	if strings.HasPrefix(key, ApprovalPrefix) && s.Approvals != nil {
		return s.approve(ctx, rec, key)
	}
	fr, org, reg, err := s.register(ctx, upload{Bucket: rec.S3.Bucket.Name, Key: key, ETag: rec.S3.Object.ETag,
		VersionID: rec.S3.Object.VersionID, Sequencer: rec.S3.Object.Sequencer, Size: rec.S3.Object.Size})
	if err != nil || reg == nil || reg.Status != contract.FileRegistered {
		return fr, err
	}
	if err := s.pair(ctx, fr, org, reg); err != nil {
		return nil, err
	}
	return fr, nil
}

// pair starts the run of a registered export and its partner: a file of
// the other kind whose days overlap its own. Anything else waits for its
// partner or the daily run, as fr says.
func (s *Service) pair(ctx context.Context, fr *FileResult, org *postgres.Organization, reg *postgres.SourceFile) error {
	other := exportcsv.Acquiring
	if reg.Kind == exportcsv.Acquiring {
		other = exportcsv.Billing
	}
	if reg.Days == nil {
		fr.Waiting = fmt.Sprintf("no dated rows in the first %d KiB: the daily run of %s takes the file", headerBytes>>10, org.Code)
		return nil
	}
	pair, err := s.Store.PendingFile(ctx, org.ID, other, *reg.Days)
	if errors.Is(err, postgres.ErrNotFound) {
		fr.Waiting = fmt.Sprintf("waiting for the %s export of %s for %s", other, org.Code, reg.Days)
		return nil
	}
	if err != nil {
		return err
	}
	files := []*postgres.SourceFile{reg, pair}
	if reg.Kind == exportcsv.Acquiring {
		files = []*postgres.SourceFile{pair, reg}
	}
	exec := &Execution{Name: ExecutionName(org.Code, reg), Input: reconciler.Request{Org: org.Code}}
	for _, f := range files {
		exec.Input.Files = append(exec.Input.Files, reconciler.FileRef{Bucket: f.Bucket, Key: f.Key, ETag: f.ETag})
	}
	if err := s.start(ctx, exec); err != nil {
		return err
	}
	fr.Execution = exec
	s.Log.Info("run requested", "bucket", reg.Bucket, "key", reg.Key, "file_id", reg.ID, "org", org.Code, "kind", reg.Kind,
		"execution", exec.Name, "started", exec.Started)
	return nil
}

// start asks Step Functions for exec under its deterministic name, which
// the input carries too.
func (s *Service) start(ctx context.Context, exec *Execution) error {
	exec.Input.ExecutionName = exec.Name
	input, err := json.Marshal(exec.Input)
	if err != nil {
		return err
	}
	exec.Started, err = s.Starter.Start(ctx, exec.Name, input)
	return err
}

// upload is an object under incoming/ as an S3 event or a listing shows it.
type upload struct {
	Bucket, Key, ETag, VersionID, Sequencer string
	Size                                    int64
}

// RegisterUpload checks and registers a listed object the way its S3 event
// would have, and starts nothing: the daily run registers with it the
// uploads whose event was lost.
func (s *Service) RegisterUpload(ctx context.Context, bucket string, obj s3store.Object) error {
	_, _, _, err := s.register(ctx, upload{Bucket: bucket, Key: obj.Key, ETag: obj.ETag, Size: obj.Size})
	return err
}

// register checks an upload's header and registers it once per (bucket,
// key, etag); reg is nil when the upload is no export of a known organisation.
func (s *Service) register(ctx context.Context, u upload) (fr *FileResult, org *postgres.Organization, reg *postgres.SourceFile, err error) {
	fr = &FileResult{Key: u.Key}
	log := s.Log.With("bucket", u.Bucket, "key", u.Key)
	loc, err := parseKey(u.Key)
	if err != nil {
		fr.Status, fr.Errors = "ignored", []*exportcsv.Error{{File: u.Key, Msg: err.Error()}}
		log.Warn("upload ignored", "reason", err.Error())
		return fr, nil, nil, nil
	}
	fr.Org, fr.Kind = loc.org, loc.kind
	org, err = s.Store.OrganizationByCode(ctx, loc.org)
	if errors.Is(err, postgres.ErrNotFound) {
		fr.Status, fr.Errors = "ignored", []*exportcsv.Error{{File: u.Key, Msg: fmt.Sprintf("unknown organisation %q: ask an administrator to configure it", loc.org)}}
		log.Warn("upload for an unknown organisation")
		return fr, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	file := &postgres.SourceFile{OrganizationID: org.ID, Bucket: u.Bucket, Key: u.Key,
		ETag: strings.Trim(u.ETag, `"`), VersionID: u.VersionID,
		Sequencer: u.Sequencer, Kind: loc.kind, Size: u.Size}
	format, problems, err := s.checkHeader(ctx, file)
	if err != nil {
		return nil, nil, nil, err
	}
	file.Encoding, file.Delimiter, file.Errors = format.Encoding, format.Delimiter, problems
	reg, created, err := s.Store.RegisterFile(ctx, file)
	if err != nil {
		return nil, nil, nil, err
	}
	fr.FileID, fr.Status, fr.Duplicate, fr.Errors = reg.ID, string(reg.Status), !created, reg.Errors
	log.Info("upload registered", "file_id", reg.ID, "org", org.Code, "kind", loc.kind, "status", reg.Status,
		"duplicate", !created, "size", reg.Size, "problems", len(reg.Errors))
	return fr, org, reg, nil
}

// checkHeader reads the first bytes of the upload and validates the header
// the way the reconciler will; a bad header is a registered failure, not
// an error of the trigger. It also notes the days of the complete rows it
// read (f.Days, exact if that was the whole file) and when the object was
// written (f.UploadedAt).
func (s *Service) checkHeader(ctx context.Context, f *postgres.SourceFile) (exportcsv.Format, []*exportcsv.Error, error) {
	limits := s.Limits.OrDefault()
	obj, err := s.Objects.OpenPrefix(ctx, f.Bucket, f.Key, headerBytes)
	if errors.Is(err, s3store.ErrNotFound) {
		return exportcsv.Format{}, []*exportcsv.Error{{File: f.Key, Msg: "the uploaded object is gone"}}, nil
	}
	if err != nil {
		return exportcsv.Format{}, nil, err
	}
	defer obj.Body.Close()
	if f.Size == 0 {
		f.Size = obj.Size
	}
	f.UploadedAt = obj.LastModified
	if obj.Size > limits.MaxBytes {
		return exportcsv.Format{}, []*exportcsv.Error{{File: f.Key, Msg: fmt.Sprintf("file too large: %d bytes, the limit is %d", obj.Size, limits.MaxBytes)}}, nil
	}
	head, err := io.ReadAll(io.LimitReader(obj.Body, headerBytes))
	if err != nil {
		return exportcsv.Format{}, nil, fmt.Errorf("upload: read the head of s3://%s/%s: %w", f.Bucket, f.Key, err)
	}
	f.DaysWhole = int64(len(head)) >= obj.Size
	if !f.DaysWhole {
		// Only complete lines: a row cut at the window's edge could parse
		// as a wrong date. (A header longer than the window stays whole.)
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i+1]
		}
	}
	rd, err := exportcsv.NewReader(f.Key, f.Kind, bytes.NewReader(head), exportcsv.Limits{MaxBytes: headerBytes + 1})
	if list, ok := exportcsv.AsErrors(err); ok {
		return exportcsv.Format{}, list.List, nil
	}
	if err != nil {
		return exportcsv.Format{}, nil, err
	}
	// Row problems are the reconciler's to report in full; here they only
	// leave a row out of the days.
	var row exportcsv.Row
	for {
		err := rd.Next(&row)
		var rowErr *exportcsv.Error
		if err != nil && !errors.As(err, &rowErr) {
			break
		}
	}
	if from, to, ok := rd.Dates(); ok {
		f.Days = &postgres.Days{From: from, To: to}
	}
	return rd.Format(), nil, nil
}

// headerBytes is how much of an upload the trigger reads: the sniff window.
const headerBytes = 64 << 10

// ExecutionName is deterministic in the upload (bucket, key, etag): a
// repeated event asks for the same execution, which Step Functions starts
// once. Names are at most 80 characters of [A-Za-z0-9-_].
func ExecutionName(org string, f *postgres.SourceFile) string {
	h := sha256.Sum256([]byte(f.Bucket + "\x00" + f.Key + "\x00" + f.ETag))
	name := fmt.Sprintf("%s-%s-%s", org, f.Kind, hex.EncodeToString(h[:])[:16])
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	return name
}
