package postgres

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// paymentTuples reads as the header, the planned payments' tuples one
// after another and the trailer, whatever the size of the reads, tuples
// split across them included.
func TestPaymentTuplesReadAsTheTuples(t *testing.T) {
	planned := []PlannedPackage{{ID: 7}, {ID: 8}, {ID: 9}} // 8 has none
	for i := range 40 {
		c := &Candidate{ReconRowID: int64(100 + i), OrderID: strings.Repeat("o\t\\", i), Amount: 1234, Attempt: 1}
		pp := &planned[i%2*2]
		pp.Payments = append(pp.Payments, PlannedPayment{Candidate: c, TransportGUID: "019ad0c4-7c8e-7a55-9a4f-6f0e0d6d3b21"})
	}
	want := []byte(copyHeader)
	for _, pp := range planned {
		for _, pay := range pp.Payments {
			var err error
			if want, err = appendPaymentTuple(want, 3, 5, pp.ID, pay); err != nil {
				t.Fatal(err)
			}
		}
	}
	want = append(want, 0xff, 0xff)
	tuples := func() io.Reader {
		return &paymentTuples{runID: 3, orgID: 5, planned: planned, pending: []byte(copyHeader)}
	}
	if err := iotest.TestReader(tuples(), want); err != nil {
		t.Error(err)
	}
	got, err := io.ReadAll(iotest.OneByteReader(tuples()))
	if err != nil || string(got) != string(want) {
		t.Errorf("one byte at a time: %v\n%q\nwant\n%q", err, got, want)
	}
}

// A transport GUID that is not one fails the COPY, which stores nothing.
func TestPaymentTuplesRefuseABadGUID(t *testing.T) {
	c := &Candidate{ReconRowID: 1, OrderID: "o", Amount: 1, Attempt: 1}
	l := &paymentTuples{planned: []PlannedPackage{{ID: 1, Payments: []PlannedPayment{{Candidate: c, TransportGUID: "019ad0c4-not-a-guid"}}}}}
	if _, err := io.ReadAll(l); err == nil || !strings.Contains(err.Error(), "019ad0c4-not-a-guid") {
		t.Errorf("got %v", err)
	}
}
