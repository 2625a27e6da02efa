package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestNoUnsuppressedNagFindings runs cdk-nag's AwsSolutions checks (applied
// to the test app in synthesize) and wants no error left: every finding is
// either fixed in the stack or suppressed with a reason in nag.go. A new
// resource that trips a rule fails here with the rule, the construct path
// and cdk-nag's explanation; fix it or add a suppression to nag.go.
func TestNoUnsuppressedNagFindings(t *testing.T) {
	s := synth(t)
	findings := assertions.Annotations_FromStack(s.stack).FindError(jsii.String("*"),
		assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	perRule := map[string]int{}
	var lines []string
	for _, f := range *findings {
		msg := fmt.Sprint(f.Entry.Data)
		rule := msg[:strings.IndexAny(msg+":", "[:")]
		perRule[rule]++
		lines = append(lines, fmt.Sprintf("%s\n    %s", *f.Id, msg))
	}
	if len(lines) == 0 {
		return
	}
	sort.Strings(lines)
	var rules []string
	for r, n := range perRule {
		rules = append(rules, fmt.Sprintf("%s×%d", r, n))
	}
	sort.Strings(rules)
	t.Errorf("%d unsuppressed cdk-nag errors (%s); fix them or suppress them with a reason in nag.go:\n%s",
		len(lines), strings.Join(rules, ", "), strings.Join(lines, "\n"))
}
