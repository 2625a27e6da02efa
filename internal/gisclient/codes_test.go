package gisclient

import "testing"

func TestClassify(t *testing.T) {
	for code, want := range map[string]Disposition{
		"SRV012001": AlreadyLoaded,
		"EXP001000": Retry,
		"EXP999999": Unknown, // an unlisted technical exception: not retried on a guess either
		"INT002000": Fatal,
		"AUT011009": Fatal,
		"XYZ000000": Unknown, // never retried, never given up, on a guess
	} {
		if got := Classify(code); got != want {
			t.Errorf("Classify(%s) = %d, want %d", code, got, want)
		}
	}
	for d, want := range map[Disposition]string{Unknown: "unknown", Fatal: "rejected", Retry: "error", AlreadyLoaded: "already_imported"} {
		if got := d.PaymentStatus(); got != want {
			t.Errorf("%d.PaymentStatus() = %s, want %s", d, got, want)
		}
	}
}
