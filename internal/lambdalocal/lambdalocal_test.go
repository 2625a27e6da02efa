package lambdalocal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// echoServer builds the test function and serves it.
func echoServer(t *testing.T, maxProcs int) (*Server, string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/echo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := New(Function{Name: "echo", Path: bin})
	s.MaxProcesses = maxProcs
	addr, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, "http://" + addr
}

func invoke(t *testing.T, base, fn, payload string) (int, string, string) {
	t.Helper()
	resp, err := http.Post(base+"/2015-03-31/functions/"+fn+"/invocations", "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), string(body)
}

func TestInvoke(t *testing.T) {
	_, base := echoServer(t, 2)
	code, ferr, body := invoke(t, base, "echo", `{"value":"привет"}`)
	if code != 200 || ferr != "" || !strings.Contains(body, `"value":"привет"`) {
		t.Fatalf("%d %q %s", code, ferr, body)
	}
	// A handler error reaches the caller the way Lambda reports it, named by kind.
	code, ferr, body = invoke(t, base, "arn:aws:lambda:eu-central-1:123456789012:function:echo", `{"fail":true}`)
	if code != 200 || ferr != "Unhandled" || !strings.Contains(body, `"errorType":"TransientError"`) {
		t.Fatalf("%d %q %s", code, ferr, body)
	}
	if code, _, _ := invoke(t, base, "nope", `{}`); code != 404 {
		t.Errorf("unknown function: %d", code)
	}
}

// Concurrent invocations run on up to MaxProcesses warm processes.
func TestConcurrency(t *testing.T) {
	_, base := echoServer(t, 3)
	var mu sync.Mutex
	pids := map[int]bool{}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, body := invoke(t, base, "echo", fmt.Sprintf(`{"value":"%d"}`, i))
			var r struct {
				Value string
				PID   int
			}
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Value != fmt.Sprint(i) {
				t.Errorf("invocation %d: %s", i, body)
			}
			mu.Lock()
			pids[r.PID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(pids) < 1 || len(pids) > 3 {
		t.Errorf("%d processes served the invocations, want 1 to 3", len(pids))
	}
}

// An injected timeout answers as Lambda does when a function dies after
// its work: Sandbox.Timedout, once per injection.
func TestInjectedTimeout(t *testing.T) {
	s, base := echoServer(t, 1)
	s.InjectTimeouts("echo", 1)
	if _, ferr, body := invoke(t, base, "echo", `{"value":"1"}`); ferr != "Unhandled" || !strings.Contains(body, `"errorType":"Sandbox.Timedout"`) {
		t.Fatalf("%q %s", ferr, body)
	}
	if _, ferr, body := invoke(t, base, "echo", `{"value":"2"}`); ferr != "" || !strings.Contains(body, `"value":"2"`) {
		t.Fatalf("after the injected timeout: %q %s", ferr, body)
	}
}
