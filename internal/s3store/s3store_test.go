package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/s3store"
	"github.com/gispayments/gis-payments/internal/s3store/s3test"
)

func TestOpenPinsTheRegisteredVersion(t *testing.T) {
	ctx := context.Background()
	s3 := s3test.New(t, "bkt")
	first := s3.Put(t, "bkt", "k.csv", []byte("one"))
	obj, err := s3.Store.Open(ctx, "bkt", "k.csv", first)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(data) != "one" || obj.ETag != first || obj.Size != 3 {
		t.Fatalf("got %q %+v", data, obj)
	}
	s3.Put(t, "bkt", "k.csv", []byte("two"))
	if _, err := s3.Store.Open(ctx, "bkt", "k.csv", first); !errors.Is(err, s3store.ErrChanged) {
		t.Errorf("open a replaced version: %v, want ErrChanged", err)
	}
	if _, err := s3.Store.Open(ctx, "bkt", "missing.csv", ""); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("open a missing key: %v, want ErrNotFound", err)
	}
}

func TestOpenPrefix(t *testing.T) {
	ctx := context.Background()
	s3 := s3test.New(t, "bkt")
	s3.Put(t, "bkt", "big.csv", []byte(strings.Repeat("x", 1000)))
	s3.Put(t, "bkt", "empty.csv", nil)
	obj, err := s3.Store.OpenPrefix(ctx, "bkt", "big.csv", 10)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(obj.Body)
	if len(data) != 10 || obj.Size != 1000 {
		t.Errorf("prefix: %d bytes, size %d", len(data), obj.Size)
	}
	obj, err = s3.Store.OpenPrefix(ctx, "bkt", "empty.csv", 10)
	if err != nil {
		t.Fatalf("empty object: %v", err)
	}
	if data, _ := io.ReadAll(obj.Body); len(data) != 0 || obj.Size != 0 {
		t.Errorf("empty object: %q size %d", data, obj.Size)
	}
}

func TestPut(t *testing.T) {
	ctx := context.Background()
	s3 := s3test.New(t, "bkt")
	if err := s3.Store.Put(ctx, "bkt", "reports/1/r.html", "text/html", bytes.NewReader([]byte("<p>"))); err != nil {
		t.Fatal(err)
	}
	if got := s3.Get(t, "bkt", "reports/1/r.html"); string(got) != "<p>" {
		t.Errorf("got %q", got)
	}
}
