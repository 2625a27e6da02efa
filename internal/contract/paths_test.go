package contract

import "testing"

func TestPaths(t *testing.T) {
	for got, want := range map[string]string{
		Path("Reconcile", "RunID"):          "$.reconcile.run_id",
		Path("Pack", "PackageIDs"):          "$.pack.package_ids",
		Path("Poll", "LeftToSweep"):         "$.poll.left_to_sweep",
		Path("Failure", "Cause"):            "$.failure.Cause",
		Path("Org"):                         "$.org",
		Field(SenderRequest{}, "PackageID"): "package_id",
	} {
		if got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown field gave a path")
		}
	}()
	Path("Poll", "NoSuchField")
}
