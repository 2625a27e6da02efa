package approval

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/postgres"
	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/steperr"
)

// Prefix is where approval files are uploaded: approvals/<run>.csv.
const Prefix = "approvals/"

// maxFileBytes bounds an approval file: a list of rows, not an export.
const maxFileBytes = 1 << 20

// RunOfKey is the run an approvals/<run>.csv key names.
func RunOfKey(key string) (int64, error) {
	name, ok := strings.CutPrefix(key, Prefix)
	id, err := strconv.ParseInt(strings.TrimSuffix(name, ".csv"), 10, 64)
	if !ok || !strings.HasSuffix(name, ".csv") || err != nil || id <= 0 {
		return 0, fmt.Errorf("%s: approval files are named approvals/<run id>.csv", key)
	}
	return id, nil
}

// ParseCSV reads an approval file: a header "action;row" (or with commas,
// and an optional third column "comment"), then one line "approve" or
// "decline", and for an approval any lines "load;<row>" (a discrepancy to
// load after all) or "withhold;<row>" (a row not to load), where <row> is a
// recon row id (the report's) or an order id. Every problem is reported
// with the file, line and column.
func ParseCSV(name string, r io.Reader) (postgres.Decision, error) {
	var d postgres.Decision
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return d, err
	}
	if len(data) > maxFileBytes {
		return d, &contract.FileError{File: name, Msg: fmt.Sprintf("larger than %d bytes", maxFileBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord, rd.TrimLeadingSpace = -1, true
	if first, _, _ := bytes.Cut(data, []byte("\n")); bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		rd.Comma = ';'
	}
	var problems []string
	bad := func(line int, column, msg string) {
		problems = append(problems, (&contract.FileError{File: name, Line: line, Column: column, Msg: msg}).Error())
	}
	header, err := rd.Read()
	if err != nil || len(header) < 2 || !strings.EqualFold(header[0], "action") || !strings.EqualFold(header[1], "row") {
		return d, &contract.FileError{File: name, Line: 1, Msg: `want the header "action;row" (optionally ";comment")`}
	}
	decisions := 0
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := rd.FieldPos(0)
		if err != nil {
			bad(line, "", err.Error())
			break
		}
		action, row := strings.ToLower(strings.TrimSpace(rec[0])), strings.TrimSpace(field(rec, 1))
		switch action {
		case "approve", "decline":
			decisions++
			d.Approve, d.Comment = action == "approve", strings.TrimSpace(field(rec, 2))
			if row != "" {
				bad(line, "row", "approve and decline take no row")
			}
		case "load", "withhold":
			if row == "" {
				bad(line, "row", action+" needs a row: a row id from the report or an order id")
			} else if action == "load" {
				d.Load = append(d.Load, row)
			} else {
				d.Withhold = append(d.Withhold, row)
			}
		case "":
		default:
			bad(line, "action", fmt.Sprintf("unknown action %q: want approve, decline, load or withhold", rec[0]))
		}
	}
	switch {
	case decisions != 1:
		bad(0, "", fmt.Sprintf("want exactly one line approve or decline, found %d", decisions))
	case !d.Approve && len(d.Load)+len(d.Withhold) > 0:
		bad(0, "", "a declined run loads nothing: load and withhold lines need approve")
	}
	if len(problems) > 0 {
		return d, errors.New(strings.Join(problems, "; "))
	}
	return d, nil
}

func field(rec []string, i int) string {
	if i < len(rec) {
		return rec[i]
	}
	return ""
}

// Uploads applies approvals/<run>.csv files (upload-trigger routes them here).
type Uploads struct {
	Store   *postgres.Store
	Objects *s3store.Store
	Tasks   Tasks
}

// Upload reads an approval file and decides its run as the uploader:
// uploader is the S3 event's principal (the uploading key's owner).
func (u *Uploads) Upload(ctx context.Context, bucket, key, etag, uploader string) (*contract.ApprovalOutcome, error) {
	const op = "approval upload"
	runID, err := RunOfKey(key)
	if err != nil {
		return nil, steperr.E(op, steperr.InvalidInput, err)
	}
	obj, err := u.Objects.Open(ctx, bucket, key, etag)
	if err != nil {
		return nil, err
	}
	defer obj.Body.Close()
	d, err := ParseCSV(key, obj.Body)
	if err != nil {
		return nil, steperr.E(op, steperr.InvalidInput, err)
	}
	if uploader == "" {
		uploader = "unknown uploader"
	}
	d.By, d.Source = "s3:"+uploader, "upload"
	return Decide(ctx, u.Store, u.Tasks, runID, d)
}
