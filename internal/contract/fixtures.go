package contract

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Fixtures returns the sample events of a function, events/<function>/*.json
// at the repository's root, by file name; a test fails when there are none.
func Fixtures(t testing.TB, function string) map[string][]byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(here), "..", "..", "events", function, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no sample events under events/%s/", function)
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}
