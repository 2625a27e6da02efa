package contract

import "encoding/json"

// AdminRequest is the admin function's event: an action (gispay's
// subcommand, e.g. "org.add", "resend"), who asks as the caller states it
// (Lambda cannot vouch for it: CloudTrail's Invoke record is the authority),
// and the action's own request (internal/admin's typed requests).
type AdminRequest struct {
	Action string          `json:"action"`
	Actor  string          `json:"actor"`
	Params json.RawMessage `json:"params,omitempty"`
}

// AdminResponse is the admin function's answer: the action's own result.
type AdminResponse struct {
	Action string          `json:"action"`
	Result json.RawMessage `json:"result"`
}
