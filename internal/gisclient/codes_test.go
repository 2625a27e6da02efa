package gisclient

import "testing"

func TestClassify(t *testing.T) {
	for code, want := range map[string]Disposition{
		"SRV012001": AlreadyLoaded,
		"EXP001000": Retry,
		"EXP999999": Retry, // unknown technical exception
		"INT002000": Fatal,
		"AUT011009": Fatal,
		"XYZ000000": Fatal, // unknown: never retried on a guess
	} {
		if got := Classify(code); got != want {
			t.Errorf("Classify(%s) = %d, want %d", code, got, want)
		}
	}
}
