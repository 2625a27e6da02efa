// Package objstore is the project's S3 access: streaming reads, ranged
// reads for sniffing headers, and encrypted writes. It honours
// AWS_ENDPOINT_URL (LocalStack, versitygw, gofakes3) with path-style
// addressing, which local servers need.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Store reads and writes objects in S3 or an S3-compatible server.
type Store struct {
	client *s3.Client
	// sse is the server-side encryption asked for on writes; empty for
	// local servers that do not implement it.
	sse types.ServerSideEncryption
}

// Object is an opened object: its body and what S3 says about it.
type Object struct {
	Key          string // set by List
	Body         io.ReadCloser
	Size         int64
	ETag         string
	VersionID    string
	LastModified time.Time
}

var (
	// ErrNotFound is returned for a missing bucket or key.
	ErrNotFound = errors.New("object not found")
	// ErrChanged is returned when the object no longer has the ETag asked for.
	ErrChanged = errors.New("object replaced since it was registered")
)

// New builds a Store from the standard AWS configuration (environment,
// shared files, Lambda role). With AWS_ENDPOINT_URL set, requests go there
// path-style, and SSE is left to the server unless S3_SSE says otherwise.
func New(ctx context.Context) (*Store, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("objstore: load AWS config: %w", err)
	}
	local := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	sse := types.ServerSideEncryptionAwsKms
	if local {
		sse = ""
	}
	if v, ok := os.LookupEnv("S3_SSE"); ok {
		sse = types.ServerSideEncryption(v) // "aws:kms", "AES256", or "" for none
	}
	return NewFromConfig(cfg, local, sse), nil
}

// NewFromConfig builds a Store from an explicit configuration (tests).
func NewFromConfig(cfg aws.Config, pathStyle bool, sse types.ServerSideEncryption) *Store {
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
	})
	return &Store{client: client, sse: sse}
}

// Client exposes the S3 client for the few calls this package does not wrap.
func (s *Store) Client() *s3.Client { return s.client }

// Open streams an object; a non-empty etag pins the version that was
// registered, so a file replaced since then is not read by mistake.
func (s *Store) Open(ctx context.Context, bucket, key, etag string) (*Object, error) {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if etag != "" {
		in.IfMatch = aws.String(quoteETag(etag))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, wrap("get", bucket, key, err)
	}
	obj := &Object{Body: out.Body, Size: aws.ToInt64(out.ContentLength), ETag: trimETag(aws.ToString(out.ETag)),
		VersionID: aws.ToString(out.VersionId)}
	// Not every S3-compatible server honours If-Match: check the answer too.
	if etag != "" && obj.ETag != "" && obj.ETag != trimETag(etag) {
		out.Body.Close()
		return nil, fmt.Errorf("objstore: get s3://%s/%s: %w", bucket, key, ErrChanged)
	}
	return obj, nil
}

// OpenPrefix streams at most the first n bytes of an object (a ranged GET),
// enough to check a header without downloading the file. Size is the whole
// object's size.
func (s *Store) OpenPrefix(ctx context.Context, bucket, key string, n int64) (*Object, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key,
		Range: aws.String(fmt.Sprintf("bytes=0-%d", n-1))})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" { // an empty object has no byte 0
		head, err := s.Head(ctx, bucket, key)
		if err != nil {
			return nil, err
		}
		head.Body = io.NopCloser(strings.NewReader(""))
		return head, nil
	}
	if err != nil {
		return nil, wrap("get", bucket, key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" { // "bytes 0-99/1234"
		if _, total, ok := strings.Cut(cr, "/"); ok {
			fmt.Sscan(total, &size)
		}
	}
	return &Object{Body: out.Body, Size: size, ETag: trimETag(aws.ToString(out.ETag)),
		VersionID: aws.ToString(out.VersionId), LastModified: aws.ToTime(out.LastModified)}, nil
}

// Head returns an object's size and ETag without its body.
func (s *Store) Head(ctx context.Context, bucket, key string) (*Object, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, wrap("head", bucket, key, err)
	}
	return &Object{Size: aws.ToInt64(out.ContentLength), ETag: trimETag(aws.ToString(out.ETag)),
		VersionID: aws.ToString(out.VersionId), LastModified: aws.ToTime(out.LastModified)}, nil
}

// List calls fn for each object under prefix (current versions), page by
// page, without a body.
func (s *Store) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return wrap("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: trimETag(aws.ToString(o.ETag)),
				LastModified: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Put writes an object with the given content type. body must be seekable
// (a file or bytes.Reader) so the SDK can sign and retry it.
func (s *Store) Put(ctx context.Context, bucket, key, contentType string, body io.ReadSeeker) error {
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: body, ContentType: &contentType}
	if s.sse != "" {
		in.ServerSideEncryption = s.sse
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return wrap("put", bucket, key, err)
	}
	return nil
}

// PutRendered writes what render produces to a temporary file (bounded
// memory however large the output) and uploads it.
func (s *Store) PutRendered(ctx context.Context, bucket, key, contentType string, render func(io.Writer) error) error {
	tmp, err := os.CreateTemp("", "upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := render(tmp); err != nil {
		return fmt.Errorf("objstore: render %s: %w", key, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return s.Put(ctx, bucket, key, contentType, tmp)
}

func wrap(op, bucket, key string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return fmt.Errorf("objstore: %s s3://%s/%s: %w", op, bucket, key, ErrNotFound)
		case "PreconditionFailed":
			return fmt.Errorf("objstore: %s s3://%s/%s: %w", op, bucket, key, ErrChanged)
		}
	}
	return fmt.Errorf("objstore: %s s3://%s/%s: %w", op, bucket, key, err)
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

func quoteETag(s string) string { return `"` + trimETag(s) + `"` }
