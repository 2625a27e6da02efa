package uploadtrigger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gispayments/gis-payments/internal/canceller"
	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/exportcsv"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
)

// cancellationsOrg returns <org> of incoming/cancellations/<org>/<name>.
func cancellationsOrg(key string) (string, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[0] != "incoming" || parts[1] != string(contract.Cancellations) || parts[2] == "" || parts[3] == "" {
		return "", false
	}
	return parts[2], true
}

// startCancellation checks a cancellations export's header and starts its
// cancellation run, named after the upload, so a repeated event starts it
// once. Nothing is registered here: the canceller registers each row once
// by its file, version and line.
func (s *Service) startCancellation(ctx context.Context, rec events.S3EventRecord, key, orgCode string) (*FileResult, error) {
	fr := &FileResult{Key: key, Org: orgCode, Kind: contract.Cancellations}
	log := s.Log.With("bucket", rec.S3.Bucket.Name, "key", key, "org", orgCode, "kind", contract.Cancellations)
	org, err := s.Store.OrganizationByCode(ctx, orgCode)
	if errors.Is(err, postgres.ErrNotFound) {
		fr.Status, fr.Errors = "ignored", []*exportcsv.Error{{File: key, Msg: fmt.Sprintf("unknown organisation %q: ask an administrator to configure it", orgCode)}}
		log.Warn("upload for an unknown organisation")
		return fr, nil
	}
	if err != nil {
		return nil, err
	}
	f := &postgres.SourceFile{Bucket: rec.S3.Bucket.Name, Key: key, ETag: strings.Trim(rec.S3.Object.ETag, `"`), Kind: contract.Cancellations}
	problems, err := s.checkCancellationsHeader(ctx, f)
	if err != nil || len(problems) > 0 {
		fr.Status, fr.Errors = string(contract.FileFailed), problems
		log.Warn("cancellations export refused", "problems", len(problems))
		return fr, err
	}
	exec := &Execution{Name: ExecutionName(org.Code, f), Input: contract.ReconcilerRequest{Org: org.Code,
		Kind: contract.KindCancellation, Files: []contract.FileRef{{Bucket: f.Bucket, Key: f.Key, ETag: f.ETag}}}}
	if err := s.start(ctx, exec); err != nil {
		return nil, err
	}
	fr.Status, fr.Execution = string(contract.FileRegistered), exec
	log.Info("cancellation run requested", "execution", exec.Name, "started", exec.Started)
	return fr, nil
}

// checkCancellationsHeader reads the header of the upload as the canceller
// will; the rows are the canceller's to check in full.
func (s *Service) checkCancellationsHeader(ctx context.Context, f *postgres.SourceFile) ([]*exportcsv.Error, error) {
	obj, err := s.Objects.OpenPrefix(ctx, f.Bucket, f.Key, headerBytes)
	if errors.Is(err, s3store.ErrNotFound) {
		return []*exportcsv.Error{{File: f.Key, Msg: "the uploaded object is gone"}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer obj.Body.Close()
	head, err := io.ReadAll(io.LimitReader(obj.Body, headerBytes))
	if err != nil {
		return nil, fmt.Errorf("upload: read the head of s3://%s/%s: %w", f.Bucket, f.Key, err)
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	_, err = canceller.NewReader(f.Key, bytes.NewReader(head), s.Limits)
	if list, ok := exportcsv.AsErrors(err); ok {
		return list.List, nil
	}
	return nil, err
}
