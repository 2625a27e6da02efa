package sfnlocal

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// Tasks stands in locally for the task-token half of the Step Functions
// API, which aws-local-stepfunctions lacks (it runs every Task as a plain
// Lambda invoke). run.mjs overrides each Task whose Resource is
// arn:aws:states:::lambda:invoke.waitForTaskToken with a local handler
// (the runner's taskResourceLocalHandlers): it opens a token here, invokes
// the Task's function with the Task's Payload (the token in it) and waits
// on this server until the token is completed. The functions complete it
// with the real aws-sdk-go-v2 sfn client pointed here (AWS_ENDPOINT_URL_SFN):
// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, in the API's JSON
// protocol, with its TaskDoesNotExist and TaskTimedOut errors. Expire
// completes a token as the Task's TimeoutSeconds would: States.Timeout.
type Tasks struct {
	mu      sync.Mutex
	tokens  map[string]*task
	waiting chan string
}

// Waiting gives the token of each Task that starts to wait: its function
// has returned, so whatever it stores is stored. Tests take it to act on
// the waiting run without sleeping.
func (t *Tasks) Waiting() <-chan string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waiting == nil {
		t.waiting = make(chan string, 16)
	}
	return t.waiting
}

type task struct {
	done    chan struct{}
	outcome taskOutcome
	closed  bool
}

type taskOutcome struct {
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

// StatesTimeout is the error of a Task past its TimeoutSeconds.
const StatesTimeout = "States.Timeout"

func (t *Tasks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/tasks/open" && r.Method == http.MethodPost:
		t.open(r.URL.Query().Get("token"))
	case r.URL.Path == "/tasks/wait" && r.Method == http.MethodGet:
		t.wait(w, r)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions."):
		t.api(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (t *Tasks) open(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tokens == nil {
		t.tokens = map[string]*task{}
	}
	if t.tokens[token] == nil {
		t.tokens[token] = &task{done: make(chan struct{})}
	}
}

func (t *Tasks) wait(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	t.mu.Lock()
	tk := t.tokens[token]
	if tk != nil && t.waiting != nil {
		select {
		case t.waiting <- token:
		default:
		}
	}
	t.mu.Unlock()
	if tk == nil {
		http.Error(w, "no such task", http.StatusNotFound)
		return
	}
	select {
	case <-tk.done:
		json.NewEncoder(w).Encode(tk.outcome)
	case <-r.Context().Done():
	}
}

// complete ends an open task; the error names the API's.
func (t *Tasks) complete(token string, o taskOutcome) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk := t.tokens[token]
	switch {
	case tk == nil:
		return "TaskDoesNotExist"
	case tk.closed:
		return "TaskTimedOut" // what AWS answers for a task already completed or timed out
	}
	tk.closed, tk.outcome = true, o
	close(tk.done)
	return ""
}

// Expire times an open task out, as its deadline would.
func (t *Tasks) Expire(token string) bool {
	return t.complete(token, taskOutcome{Error: StatesTimeout, Cause: "the task's TimeoutSeconds passed"}) == ""
}

func (t *Tasks) api(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Output    string `json:"output"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, "SerializationException", err.Error())
		return
	}
	var failure string
	switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions."); op {
	case "SendTaskSuccess":
		if !json.Valid([]byte(in.Output)) {
			apiError(w, "InvalidOutput", "output is not JSON")
			return
		}
		failure = t.complete(in.TaskToken, taskOutcome{Output: json.RawMessage(in.Output)})
	case "SendTaskFailure":
		failure = t.complete(in.TaskToken, taskOutcome{Error: in.Error, Cause: in.Cause})
	case "SendTaskHeartbeat":
		t.mu.Lock()
		tk := t.tokens[in.TaskToken]
		t.mu.Unlock()
		if tk == nil {
			failure = "TaskDoesNotExist"
		} else if tk.closed {
			failure = "TaskTimedOut"
		}
	default:
		apiError(w, "UnknownOperationException", op+" is not served locally")
		return
	}
	if failure != "" {
		apiError(w, failure, "task "+failure)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Write([]byte("{}"))
}

func apiError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
