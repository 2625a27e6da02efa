package postgres

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// paymentLines reads as the planned payments' COPY lines one after
// another, whatever the size of the reads, lines split across them
// included.
func TestPaymentLinesReadAsTheLines(t *testing.T) {
	planned := []PlannedPackage{{ID: 7}, {ID: 8}, {ID: 9}} // 8 has none
	var want []byte
	for i := range 40 {
		c := &Candidate{ReconRowID: int64(100 + i), OrderID: strings.Repeat("o\t\\", i), Amount: 1234, Attempt: 1}
		pp := &planned[i%2*2]
		pp.Payments = append(pp.Payments, PlannedPayment{Candidate: c, TransportGUID: "019ad0c4-7c8e-7a55-9a4f-6f0e0d6d3b21"})
	}
	for _, pp := range planned {
		for _, pay := range pp.Payments {
			want = appendPaymentLine(want, 3, 5, pp.ID, pay)
		}
	}
	lines := func() io.Reader { return &paymentLines{runID: 3, orgID: 5, planned: planned} }
	if err := iotest.TestReader(lines(), want); err != nil {
		t.Error(err)
	}
	got, err := io.ReadAll(iotest.OneByteReader(lines()))
	if err != nil || string(got) != string(want) {
		t.Errorf("one byte at a time: %v\n%q\nwant\n%q", err, got, want)
	}
}
