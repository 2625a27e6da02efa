package uploadtrigger

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// ApprovalPrefix is where approval files arrive: approvals/<run>.csv.
const ApprovalPrefix = "approvals/"

// Approvals decides a run from an uploaded approval file (approval.Uploads).
type Approvals interface {
	Upload(ctx context.Context, bucket, key, etag, uploader string) (*contract.ApprovalOutcome, error)
}

// approve hands an approvals/<run>.csv upload to Approvals, as the S3
// principal that uploaded it. A bad file or a run not awaiting approval is
// the result's error (no retry can fix it); anything else fails the event.
func (s *Service) approve(ctx context.Context, rec events.S3EventRecord, key string) (*FileResult, error) {
	fr := &FileResult{Key: key, Status: "decided"}
	out, err := s.Approvals.Upload(ctx, rec.S3.Bucket.Name, key, rec.S3.Object.ETag, rec.PrincipalID.PrincipalID)
	var serr *steperr.Error
	if errors.As(err, &serr) && serr.Kind == steperr.InvalidInput {
		fr.Status, fr.Errors = string(contract.FileFailed), []*contract.FileError{{File: key, Msg: strings.TrimPrefix(err.Error(), key+": ")}}
		s.Log.Warn("approval file refused", "key", key, "error", err.Error())
		return fr, nil
	}
	if err != nil {
		return nil, err
	}
	s.Log.Info("run decided", "key", key, "run_id", out.RunID, "decision", out.Decision, "by", out.DecidedBy,
		"load", out.Load, "withhold", out.Withhold)
	return fr, nil
}
