package postgres

// OwnCandidates is the query of a run's own candidates, for plan tests.
var OwnCandidates = ownCandidates
