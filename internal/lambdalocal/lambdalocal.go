// Package lambdalocal runs real Lambda function binaries on this machine
// behind the Lambda Invoke API, for local runs of the state machine (the
// AWS runtime interface emulator cannot be installed here). Each function
// binary runs its ordinary lambda.Start loop against the Lambda Runtime
// API this server implements; Invoke calls
// (POST /2015-03-31/functions/{name}/invocations) are handed to an idle
// process of that function, a new one is started when all are busy, up to
// a limit. Errors come back as Lambda returns them: HTTP 200 with
// X-Amz-Function-Error: Unhandled and {"errorType","errorMessage"}.
package lambdalocal

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Function is a binary to run as a Lambda function.
type Function struct {
	Name    string
	Path    string        // the bootstrap binary
	Env     []string      // added to this process's environment
	Timeout time.Duration // per invocation; 0: 5 minutes
}

// Server serves the Invoke API and the Runtime API.
type Server struct {
	MaxProcesses int       // per function; 0: 10
	Logs         io.Writer // the functions' output; nil: discarded

	mu        sync.Mutex
	functions map[string]*function
	addr      string
	procs     []*exec.Cmd
	exited    sync.WaitGroup
}

type function struct {
	Function
	timeouts int              // invocations still to be answered Sandbox.Timedout
	queue    chan *invocation // waiting for a process
	running  int              // processes started
	idle     int              // processes waiting in /next
	pending  map[string]*invocation
}

type invocation struct {
	id      string
	payload []byte
	result  chan outcome
}

type outcome struct {
	body  []byte
	error bool
}

// New returns a server for the functions.
func New(fns ...Function) *Server {
	s := &Server{functions: map[string]*function{}}
	for _, f := range fns {
		if f.Timeout <= 0 {
			f.Timeout = 5 * time.Minute
		}
		s.functions[f.Name] = &function{Function: f, queue: make(chan *invocation, 1024), pending: map[string]*invocation{}}
	}
	return s
}

// Listen starts serving on addr (e.g. 127.0.0.1:0) and returns the address.
func (s *Server) Listen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.addr = ln.Addr().String()
	go http.Serve(ln, s)
	return s.addr, nil
}

// Close stops every function process and waits for them to exit.
func (s *Server) Close() {
	s.mu.Lock()
	procs := s.procs
	s.procs = nil
	s.mu.Unlock()
	for _, p := range procs {
		p.Process.Kill()
	}
	s.exited.Wait()
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "2015-03-31" && parts[1] == "functions" && parts[3] == "invocations":
		s.invoke(w, r, parts[2])
	case len(parts) >= 4 && parts[1] == "2018-06-01" && parts[2] == "runtime":
		s.runtime(w, r, parts[0], parts[3:])
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) lookup(name string) *function {
	// The Invoke API takes a name or an ARN (…:function:name[:qualifier]).
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = strings.SplitN(name[i+len(":function:"):], ":", 2)[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.functions[name]
}

func (s *Server) invoke(w http.ResponseWriter, r *http.Request, name string) {
	f := s.lookup(name)
	if f == nil {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		http.Error(w, `{"Type":"User","message":"Function not found: `+name+`"}`, http.StatusNotFound)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	inv := &invocation{id: uuid.NewString(), payload: payload, result: make(chan outcome, 1)}
	if err := s.dispatch(f, inv); err != nil {
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
		http.Error(w, fmt.Sprintf(`{"message":%q}`, err.Error()), http.StatusInternalServerError)
		return
	}
	timer := time.NewTimer(f.Timeout)
	defer timer.Stop()
	select {
	case out := <-inv.result:
		if s.takeTimeout(f) {
			// The function did its work; Lambda reports it timed out all
			// the same, as when the deadline falls after the last write.
			out = outcome{error: true, body: timedOut(f.Timeout)}
		}
		if out.error {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out.body)
	case <-timer.C:
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Write(timedOut(f.Timeout))
	case <-r.Context().Done():
	}
}

// InjectTimeouts makes the next n invocations of a function run to the
// end and then be answered as timed out (Sandbox.Timedout): the worst
// moment for a Lambda to die, its work done and its result lost.
func (s *Server) InjectTimeouts(name string, n int) {
	f := s.lookup(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	f.timeouts += n
}

func (s *Server) takeTimeout(f *function) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.timeouts == 0 {
		return false
	}
	f.timeouts--
	return true
}

func timedOut(d time.Duration) []byte {
	return fmt.Appendf(nil, `{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after %.2f seconds"}`, d.Seconds())
}

// dispatch queues the invocation and starts a process if none is idle.
func (s *Server) dispatch(f *function, inv *invocation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.queue <- inv
	limit := s.MaxProcesses
	if limit <= 0 {
		limit = 10
	}
	if f.idle > 0 || f.running >= limit {
		return nil
	}
	cmd := exec.Command(f.Path)
	cmd.Env = append(append(os.Environ(), f.Env...),
		"AWS_LAMBDA_RUNTIME_API="+s.addr+"/"+f.Name,
		"AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_FORMAT=JSON")
	logs := s.Logs
	if logs == nil {
		logs = io.Discard
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", f.Name, err)
	}
	f.running++
	s.procs = append(s.procs, cmd)
	s.exited.Add(1)
	go func() {
		defer s.exited.Done()
		cmd.Wait()
		s.mu.Lock()
		f.running--
		s.mu.Unlock()
	}()
	return nil
}

// runtime serves one function's Runtime API.
func (s *Server) runtime(w http.ResponseWriter, r *http.Request, name string, rest []string) {
	f := s.lookup(name)
	if f == nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && len(rest) == 2 && rest[0] == "invocation" && rest[1] == "next":
		s.mu.Lock()
		f.idle++
		s.mu.Unlock()
		var inv *invocation
		select {
		case inv = <-f.queue:
		case <-r.Context().Done():
		}
		s.mu.Lock()
		f.idle--
		if inv != nil {
			f.pending[inv.id] = inv
		}
		s.mu.Unlock()
		if inv == nil {
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(f.Timeout).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:local:000000000000:function:"+f.Name)
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-"+strings.ReplaceAll(inv.id[:8], "-", "")+"-local")
		w.Write(inv.payload)
	case r.Method == http.MethodPost && len(rest) == 3 && rest[0] == "invocation" && (rest[2] == "response" || rest[2] == "error"):
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		inv := f.pending[rest[1]]
		delete(f.pending, rest[1])
		s.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		inv.result <- outcome{body: body, error: rest[2] == "error"}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && len(rest) == 2 && rest[0] == "init" && rest[1] == "error":
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}
