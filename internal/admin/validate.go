package admin

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

var digits = regexp.MustCompile(`^[0-9]+$`)

// fieldError names the field and the value it refuses.
func fieldError(field, value, format string, args ...any) error {
	return fmt.Errorf("%s %q: %s", field, value, fmt.Sprintf(format, args...))
}

// checkDigit is the tax service's control number: the weighted sum of the
// digits modulo 11, then modulo 10.
func checkDigit(d string, weights []int) byte {
	sum := 0
	for i, w := range weights {
		sum += int(d[i]-'0') * w
	}
	return byte(sum%11%10) + '0'
}

// ValidINN checks a taxpayer number: 10 digits (an organisation) or 12 (a
// person or sole trader) with the tax service's check digits.
func ValidINN(inn string) error {
	if !digits.MatchString(inn) || (len(inn) != 10 && len(inn) != 12) {
		return fieldError("inn", inn, "want 10 digits (an organisation) or 12")
	}
	checks := [][]int{{2, 4, 10, 3, 5, 9, 4, 6, 8}}
	if len(inn) == 12 {
		checks = [][]int{{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}, {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}}
	}
	for _, w := range checks {
		if want := checkDigit(inn, w); inn[len(w)] != want {
			return fieldError("inn", inn, "check digit %d is %c, want %c", len(w)+1, inn[len(w)], want)
		}
	}
	return nil
}

// ValidKPP checks a tax registration reason code: 9 digits (tax office,
// reason, number). A KPP has no check digit; the reason may be letters
// since 2019, which the database (and GIS's KPPType) does not take.
func ValidKPP(kpp string) error {
	if len(kpp) != 9 || !digits.MatchString(kpp) {
		return fieldError("kpp", kpp, "want 9 digits")
	}
	return nil
}

// ValidGUID checks a GUID in its canonical form, as GIS writes orgPPAGUID.
func ValidGUID(field, s string) error {
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return fieldError(field, s, "want a GUID like 6f1b0c5e-3a4d-4c1e-9a7b-2d8e4f6a1b3c")
	}
	return nil
}

// ValidBIK checks a Bank of Russia bank identifier: 9 digits, starting 04
// (the Russian Federation).
func ValidBIK(bik string) error {
	if len(bik) != 9 || !digits.MatchString(bik) || !strings.HasPrefix(bik, "04") {
		return fieldError("bank_bik", bik, "want 9 digits starting with 04")
	}
	return nil
}

// accountKeyOK is the Bank of Russia's control key (Положение № 579-П,
// приложение): the 23 digits of a prefix taken from the BIK and the
// 20-digit account, weighted 7, 1, 3 repeated, sum to a multiple of 10.
func accountKeyOK(prefix, account string) bool {
	s := prefix + account
	sum := 0
	for i := range len(s) {
		sum += int(s[i]-'0') * []int{7, 1, 3}[i%3] % 10
	}
	return sum%10 == 0
}

// ValidAccounts checks the operating (settlement) account against the
// BIK's last three digits and the correspondent account against "0" and
// the BIK's fifth and sixth digits, as the Bank of Russia keys them.
func ValidAccounts(bik, operating, correspondent string) error {
	var errs []error
	check := func(field, account, prefix string) {
		switch {
		case account == "":
		case len(account) != 20 || !digits.MatchString(account):
			errs = append(errs, fieldError(field, account, "want 20 digits"))
		case bik == "":
			errs = append(errs, fieldError(field, account, "needs bank_bik to check its key"))
		case !accountKeyOK(prefix, account):
			errs = append(errs, fieldError(field, account, "control key (digit 9) does not match BIK %s", bik))
		}
	}
	var opPrefix, corrPrefix string
	if len(bik) == 9 {
		opPrefix, corrPrefix = bik[6:], "0"+bik[4:6]
	}
	check("operating_account", operating, opPrefix)
	check("correspondent_account", correspondent, corrPrefix)
	return errors.Join(errs...)
}

// oneOf checks that a value is one of the allowed words.
func oneOf(field, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return fieldError(field, value, "want one of %s", strings.Join(allowed, ", "))
}
