package contract

// EnricherRequest is the enricher's event: a run whose supplier rows may
// lack the payment document GIS needs.
type EnricherRequest struct {
	RunID int64 `json:"run_id"`
}

// EnricherResult is the enricher's answer (State.Enrich). Pending: queries
// are out with GIS; the state machine waits and calls again (the same run),
// and nothing asked is lost between the calls. The rows are settled, and
// Resolved and Held counted, by the call that finds every answer in.
type EnricherResult struct {
	RunID     int64 `json:"run_id"`
	Pending   bool  `json:"pending"`
	Rows      int   `json:"rows"`       // rows without a PaymentDocumentID or ServiceID
	Resolved  int   `json:"resolved"`   // given a document by GIS or the cache
	Held      int   `json:"held"`       // held with a reason: not found, not enough to ask, ambiguous, GIS failed
	CacheHits int   `json:"cache_hits"` // queries answered from the cache, no GIS call
	Asked     int   `json:"asked"`      // queries the run asked GIS (one per ЕЛС and period)
	// Doubtful: answers that could not be read; their rows stay held this
	// run (a lookup moves no money).
	Doubtful       int   `json:"doubtful"`
	DurationMillis int64 `json:"duration_ms"`
}
