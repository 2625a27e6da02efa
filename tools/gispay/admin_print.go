package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gispayments/gis-payments/internal/admin"
	"github.com/gispayments/gis-payments/internal/calendar"
	"github.com/gispayments/gis-payments/internal/postgres"
)

// printers print each action's result for people; actions without one
// print their JSON.
var printers = map[string]func(json.RawMessage) error{
	admin.ActOrgAdd:       printAs(printOrg),
	admin.ActOrgUpdate:    printAs(printOrg),
	admin.ActOrgShow:      printAs(printOrg),
	admin.ActOrgList:      printAs(printOrgs),
	admin.ActRunsList:     printAs(printRuns),
	admin.ActRunsShow:     printAs(printRun),
	admin.ActPaymentsFind: printAs(printPayments),
	admin.ActResend:       printAs(printResend),
	admin.ActRerun:        printAs(printRerun),
}

func printResult(action string, raw json.RawMessage) error {
	if p := printers[action]; p != nil {
		return p(raw)
	}
	fmt.Fprintln(stdout, string(raw))
	return nil
}

func printAs[T any](p func(T)) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("unreadable result: %w", err)
		}
		p(v)
		return nil
	}
}

func table() *tabwriter.Writer { return tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0) }

func moscow(t time.Time) string { return t.In(calendar.Moscow).Format("2006-01-02 15:04:05") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printOrg(o admin.Org) {
	w := table()
	signer := "operator (IsOperatorSignature)"
	if o.SigningKey != "" {
		signer = o.SigningKey
	}
	for _, kv := range [][2]string{{"code", o.Code}, {"name", o.Name}, {"kind", o.Kind}, {"inn", o.INN},
		{"kpp", o.KPP}, {"org_ppa_guid", o.OrgPPAGUID}, {"load_policy", o.LoadPolicy},
		{"approval_policy", o.ApprovalPolicy}, {"refunds", o.RefundCancellation}, {"bank", o.BankName}, {"bik", o.BankBIK},
		{"account", o.OperatingAccount}, {"corr_account", o.CorrespondentAccount},
		{"recipient", o.PaymentRecipient}, {"signs", signer}} {
		fmt.Fprintf(w, "%s:\t%s\n", kv[0], orDash(kv[1]))
	}
	w.Flush()
}

func printOrgs(orgs []admin.Org) {
	w := table()
	fmt.Fprintln(w, "CODE\tKIND\tLOAD\tAPPROVAL\tINN\tKPP\tNAME")
	for _, o := range orgs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Code, o.Kind, o.LoadPolicy, orDash(o.ApprovalPolicy),
			o.INN, orDash(o.KPP), o.Name)
	}
	w.Flush()
}

// counts writes a by-status map as "imported=3 rejected=1", sorted.
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return orDash(strings.Join(parts, " "))
}

func period(r postgres.RunSummary) string {
	if r.PeriodFrom == "" {
		return "-"
	}
	if r.PeriodFrom == r.PeriodTo {
		return r.PeriodFrom
	}
	return r.PeriodFrom + ".." + r.PeriodTo
}

func duration(r postgres.RunSummary) string {
	if r.FinishedAt == nil {
		return "running"
	}
	return r.FinishedAt.Sub(r.CreatedAt).Round(time.Second).String()
}

func printRuns(runs []postgres.RunSummary) {
	w := table()
	fmt.Fprintln(w, "RUN\tORG\tSTATUS\tPERIOD\tSTARTED\tDURATION\tPAYMENTS\tHELD\tERROR")
	for _, r := range runs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Org, r.Status, period(r), moscow(r.CreatedAt),
			duration(r), counts(r.Payments), r.Held, orDash(r.Error))
	}
	w.Flush()
}

func printRun(r postgres.RunDetail) {
	w := table()
	for _, kv := range [][2]string{{"run", fmt.Sprint(r.ID)}, {"org", r.Org}, {"status", r.Status},
		{"period", period(r.RunSummary)}, {"execution", orDash(r.Execution)}, {"started", moscow(r.CreatedAt)},
		{"duration", duration(r.RunSummary)}, {"packages", counts(r.Packages)}, {"payments", counts(r.Payments)},
		{"held", fmt.Sprint(r.Held)}, {"error", orDash(r.Error)}} {
		fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
	}
	w.Flush()
	for _, group := range []struct {
		title string
		rows  []postgres.Count
	}{{"errors", r.Errors}, {"held back", r.Holds}} {
		if len(group.rows) == 0 {
			continue
		}
		fmt.Fprintf(stdout, "%s:\n", group.title)
		w := table()
		for _, c := range group.rows {
			fmt.Fprintf(w, "  %d\t%s\t%s\n", c.N, orDash(c.Code), c.Reason)
		}
		w.Flush()
	}
	if len(r.Refunds) > 0 {
		fmt.Fprintln(stdout, "refunds of loaded payments (cancel with: gispay cancel):")
		w := table()
		for _, m := range r.Refunds {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", m.Comment(), m.Amount, strings.Join(m.OrderIDs, " "))
		}
		w.Flush()
	}
}

func printPayments(ps []postgres.PaymentRecord) {
	if len(ps) == 0 {
		fmt.Fprintln(stdout, "no payments found")
		return
	}
	for i, p := range ps {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		pkg := "-"
		if p.PackageID != nil {
			pkg = fmt.Sprint(*p.PackageID)
		}
		fmt.Fprintf(stdout, "payment %d  run %d  org %s  order %s  bill %s  account %s  amount %s\n",
			p.ID, p.RunID, p.Org, p.OrderID, p.Bill, orDash(p.Account), p.Amount)
		fmt.Fprintf(stdout, "status %s  attempt %d  package %s  unique number %s\n",
			p.Status, p.Attempt, pkg, orDash(p.UniqueNumber))
		if p.Error != "" {
			fmt.Fprintf(stdout, "error %s %s\n", orDash(p.ErrorCode), p.Error)
		}
		w := table()
		for _, h := range p.History {
			fmt.Fprintf(w, "  %s\t%s → %s\t%s\n", moscow(h.At), orDash(h.From), h.To, h.Cause)
		}
		w.Flush()
	}
}

func printResend(r admin.ResendResult) {
	for _, q := range r.Queued {
		note := ""
		if q.Already {
			note = " (asked before)"
		}
		fmt.Fprintf(stdout, "payment %d: queued for the next run of %s%s\n", q.PaymentID, q.Org, note)
	}
}

func printRerun(r admin.RerunResult) {
	if r.Started {
		fmt.Fprintf(stdout, "execution %s started\n", r.Execution)
	} else {
		fmt.Fprintf(stdout, "execution %s was started before: nothing new started\n", r.Execution)
	}
}
