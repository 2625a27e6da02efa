// Package s3test runs an in-process S3 API (gofakes3) over real HTTP for
// tests, and gives an s3store.Store pointed at it.
package s3test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/gispayments/gis-payments/internal/s3store"
)

// Server is a running fake S3.
type Server struct {
	URL   string
	Store *s3store.Store
}

// New starts a fake S3 with the given buckets; it stops with the test.
func New(t testing.TB, buckets ...string) *Server {
	t.Helper()
	faker := gofakes3.New(s3mem.New())
	ts := httptest.NewServer(faker.Server())
	t.Cleanup(ts.Close)
	cfg := aws.Config{
		Region:       "ru-central-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ts.URL),
	}
	st := s3store.NewFromConfig(cfg, true, "")
	for _, b := range buckets {
		if _, err := st.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return &Server{URL: ts.URL, Store: st}
}

// Put uploads data and returns its ETag (unquoted).
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) string {
	t.Helper()
	out, err := s.Store.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	etag := aws.ToString(out.ETag)
	if len(etag) >= 2 && etag[0] == '"' {
		etag = etag[1 : len(etag)-1]
	}
	return etag
}

// Get downloads an object.
func (s *Server) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	obj, err := s.Store.Open(context.Background(), bucket, key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(obj.Body)
	return buf.Bytes()
}
