package contract

// ApprovalRequest is the approval function's event, in one of three modes:
// {run_id} from "Approval needed?" (does the run wait?), {run_id,
// task_token} from "Wait for approval" (a Task with
// lambda:invoke.waitForTaskToken: store the token on the run, tell the
// organisation's contact), {run_id, expired} from "Approval expired" (the
// wait's deadline passed: end the run, nothing loaded).
type ApprovalRequest struct {
	RunID     int64  `json:"run_id"`
	TaskToken string `json:"task_token,omitempty"`
	Expired   bool   `json:"expired,omitempty"`
}

// ApprovalResult is the approval function's answer (State.ApprovalCheck).
type ApprovalResult struct {
	RunID         int64     `json:"run_id"`
	Required      bool      `json:"required"`
	Policy        string    `json:"policy,omitempty"`
	Discrepancies int       `json:"discrepancies"`
	Status        RunStatus `json:"status,omitempty"`
}

// ApprovalOutcome is the output a decision sends with SendTaskSuccess
// (State.Approval): who approved the run, when, and how many rows the
// decision adds to or withholds from the load.
type ApprovalOutcome struct {
	RunID     int64  `json:"run_id"`
	Decision  string `json:"decision"`
	DecidedBy string `json:"decided_by"`
	DecidedAt string `json:"decided_at"`
	Load      int    `json:"load"`
	Withhold  int    `json:"withhold"`
}

// Error names of the approval wait: a declined run (SendTaskFailure) and
// an organisation that had no exports for the day (the reconciler).
const (
	ApprovalDeclined = "ApprovalDeclined"
	ApprovalExpired  = "ApprovalExpired"
	NoExports        = "NoExports"
)

// SchedulerRequest is the scheduler function's event: {list_orgs,
// scheduled_time} from the daily schedule (the fan-out's first state), or
// {no_exports, org, period} when a daily run found no exports (a notice).
type SchedulerRequest struct {
	ListOrgs      bool    `json:"list_orgs,omitempty"`
	ScheduledTime string  `json:"scheduled_time,omitempty"` // RFC 3339, EventBridge Scheduler's <aws.scheduler.scheduled-time>
	NoExports     bool    `json:"no_exports,omitempty"`
	Org           string  `json:"org,omitempty"`
	Period        *Period `json:"period,omitempty"`
}

// SchedulerResult lists the daily runs to start, one per active
// organisation, each under a deterministic execution name.
type SchedulerResult struct {
	Day  string     `json:"day,omitempty"`
	Runs []DailyRun `json:"runs"`
}

// DailyRun is one child execution of the daily fan-out.
type DailyRun struct {
	Name  string            `json:"name"`
	Input ReconcilerRequest `json:"input"`
}
