package main

import (
	"slices"
	"strings"
	"testing"
)

// TestSigningKeys: the signers (the packer and the enricher), and only
// they, may read the organisations' own signing keys (secrets under gis-payments/signing/),
// and an alarm on the stack's topic watches the certificates' days left.
func TestSigningKeys(t *testing.T) {
	s := synth(t)
	signers := []string{s.json.roleOf(s.logicalID(t, packerName)), s.json.roleOf(s.logicalID(t, enricherName))}
	var readers []string
	for _, st := range s.json.statements() {
		for _, r := range st.Resources {
			if strings.Contains(asJSON(r), ":secret:gis-payments/signing/*") {
				if len(st.Actions) != 1 || st.Actions[0] != "secretsmanager:GetSecretValue" {
					t.Errorf("actions on the organisations' keys: %v", st.Actions)
				}
				readers = append(readers, st.Roles...)
			}
		}
	}
	slices.Sort(readers)
	slices.Sort(signers)
	if !slices.Equal(readers, signers) {
		t.Errorf("roles that may read the organisations' keys: %v, want the signers' %v", readers, signers)
	}
	alarm := s.json.Resources[s.logicalID(t, "SigningCertificateExpiry")].Properties
	if alarm["Namespace"] != "GisPayments" || alarm["MetricName"] != "SigningCertificateDaysLeft" || alarm["Statistic"] != "Minimum" ||
		alarm["ComparisonOperator"] != "LessThanThreshold" || alarm["Threshold"] != 30.0 || alarm["Period"] != 86400.0 ||
		alarm["Dimensions"] != nil {
		t.Errorf("alarm %s", asJSON(alarm))
	}
	if actions := asJSON(alarm["AlarmActions"]); actions != `[{"Ref":"`+s.logicalID(t, "Alarms")+`"}]` {
		t.Errorf("the alarm notifies %s", actions)
	}
}
