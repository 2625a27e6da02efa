package main

import (
	"reflect"
	"strings"
	"testing"
)

// Each organisation's uploader role may put objects under its own
// incoming/billing/<org>/, incoming/acquiring/<org>/ and incoming/cancellations/<org>/ only, encrypt
// through S3 with the stack's key, and is assumable by the principal
// uploaderPrincipals names (else this account).
func TestUploaderRolesPutOnlyTheirOwnPrefixes(t *testing.T) {
	s := synth(t)
	exports, key := s.logicalID(t, "Exports"), s.logicalID(t, "DataKey")
	for _, org := range []string{"uk-dom", "fkr-region"} {
		role := s.logicalID(t, "Uploader-"+org)
		var objects []string
		for _, st := range s.json.statementsOfRole(role) {
			switch {
			case reflect.DeepEqual(st.Actions, []string{"s3:PutObject"}):
				for _, r := range st.Resources {
					objects = append(objects, objectPattern(r))
				}
			case reflect.DeepEqual(st.Actions, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}):
				if len(st.Resources) != 1 || getAttID(st.Resources[0]) != key {
					t.Errorf("%s: KMS on %s, want the stack's key only", org, asJSON(st.Resources))
				}
			default:
				t.Errorf("%s: unexpected statement %s", org, asJSON(st))
			}
		}
		want := []string{exports + "/incoming/acquiring/" + org + "/*", exports + "/incoming/billing/" + org + "/*",
			exports + "/incoming/cancellations/" + org + "/*"}
		if !sameMembers(objects, want) {
			t.Errorf("%s may put %v, want %v", org, objects, want)
		}
		kms := asJSON(s.json.policyOfRole(role))
		if !strings.Contains(kms, `"kms:ViaService":{"Fn::Join":["",["s3.",{"Ref":"AWS::Region"},".amazonaws.com"]]}`) {
			t.Errorf("%s: the key is usable outside S3: %s", org, kms)
		}
		trust := asJSON(s.json.Resources[role].Properties["AssumeRolePolicyDocument"])
		wantTrust := `"AWS":"arn:aws:iam::111122223333:role/uk-dom-billing-upload"`
		if org != "uk-dom" {
			wantTrust = `":iam::",{"Ref":"AWS::AccountId"},":root"`
		}
		if !strings.Contains(trust, wantTrust) {
			t.Errorf("%s: trust policy %s, want %s", org, trust, wantTrust)
		}
		if s.json.Outputs["UploaderRole"+strings.ReplaceAll(org, "-", "")] == nil {
			t.Errorf("%s: no output with the role's ARN", org)
		}
	}
	roles := 0
	for id := range s.json.ofType("AWS::IAM::Role") {
		if strings.HasPrefix(id, "Uploader") {
			roles++
		}
	}
	if roles != len(testContext["organizations"].([]any)) {
		t.Errorf("%d uploader roles, want one per organisation", roles)
	}
}
