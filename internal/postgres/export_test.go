package postgres

// OwnCandidates is the query of a run's own candidates, for plan tests.
var OwnCandidates = ownCandidates

// CopyHeader and AppendNumericField write binary COPY data, for tests
// against the server.
const CopyHeader = copyHeader

var AppendNumericField = appendNumericField
