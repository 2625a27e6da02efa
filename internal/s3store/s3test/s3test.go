// Package s3test runs an in-process S3 API (gofakes3) over real HTTP for
// tests, and gives an s3store.Store pointed at it.
package s3test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

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
	st := storeAt(ts.URL)
	for _, b := range buckets {
		if _, err := st.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return &Server{URL: ts.URL, Store: st}
}

func storeAt(url string) *s3store.Store {
	cfg := aws.Config{
		Region:       "ru-central-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
	return s3store.NewFromConfig(cfg, true, "")
}

// Distant returns a store on the same buckets whose every request waits
// latency before it reaches the server, as a Lambda's requests to S3 take
// tens of milliseconds that an in-process server does not: for
// benchmarks of how many requests are in flight at once.
func (s *Server) Distant(t testing.TB, latency time.Duration) *s3store.Store {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency) // the network's round trip, not a wait for an event
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return storeAt(ts.URL)
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
