package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"

	"github.com/gispayments/gis-payments/internal/admin"
)

func init() {
	registerAdmin("org", "organisations: add, update, list, show", subcommands("org", map[string]adminCommand{
		"add": orgSave(admin.ActOrgAdd), "update": orgSave(admin.ActOrgUpdate),
		"list": orgList, "show": orgShow}))
	registerAdmin("runs", "runs: list, show", subcommands("runs", map[string]adminCommand{"list": runsList, "show": runsShow}))
	registerAdmin("payments", "payments: find, with their status history", subcommands("payments", map[string]adminCommand{"find": paymentsFind}))
	registerAdmin("resend", "send payments in a final error or unknown state again", adminMain("resend", resend))
	registerAdmin("rerun", "start a run for an organisation and period", adminMain("rerun", rerun))
	registerAdmin("approve", "approve a run waiting for approval", adminMain("approve", approve))
	registerAdmin("cancel", "cancel a loaded payment in GIS", adminMain("cancel", cancel))
}

// stdout and stderr are where the admin commands print: the writers the
// dispatcher hands the running command.
var stdout, stderr io.Writer = os.Stdout, os.Stderr

func registerAdmin(name, summary string, run func(args []string) int) {
	register(name, summary, func(args []string, out, errOut io.Writer) int {
		stdout, stderr = out, errOut
		return run(args)
	})
}

// adminCommand declares its flags on fs and returns, once they are parsed,
// the action and its request.
type adminCommand func(fs *flag.FlagSet) func() (action string, params any, err error)

func subcommands(name string, subs map[string]adminCommand) func([]string) int {
	return func(args []string) int {
		if len(args) == 0 || subs[args[0]] == nil {
			fmt.Fprintf(stderr, "usage: gispay %s <%s> [flags]\n", name, strings.Join(slices.Sorted(maps.Keys(subs)), "|"))
			return 2
		}
		return adminMain(name+" "+args[0], subs[args[0]])(args[1:])
	}
}

// adminMain parses the flags every admin command shares and its own, runs
// the action and prints its result (as a table, or JSON with --json).
func adminMain(name string, cmd adminCommand) func([]string) int {
	return func(args []string) int {
		fs := flag.NewFlagSet("gispay "+name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		function := fs.String("function", "", "the admin Lambda's name or ARN (default $GISPAY_FUNCTION; unset: Postgres at $DATABASE_URL)")
		asJSON := fs.Bool("json", false, "print the result as JSON")
		request := cmd(fs)
		if err := fs.Parse(args); err != nil {
			return 2
		}
		action, params, err := request()
		if err == nil && fs.NArg() > 0 && !positional[action] {
			err = fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		if err != nil {
			fmt.Fprintf(stderr, "gispay %s: %v\n", name, err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		b, err := openBackend(ctx, *function)
		if err != nil {
			fmt.Fprintf(stderr, "gispay %s: %v\n", name, err)
			return 1
		}
		defer b.close()
		out, err := b.do(ctx, action, params)
		if err != nil {
			fmt.Fprintf(stderr, "gispay %s: %v\n", name, err)
			return 1
		}
		if *asJSON {
			fmt.Fprintln(stdout, string(out))
			return 0
		}
		if err := printResult(action, out); err != nil {
			fmt.Fprintf(stderr, "gispay %s: %v\n", name, err)
			return 1
		}
		return 0
	}
}

// stringFlag binds a string flag, empty by default, to a request's field.
type stringFlag struct {
	p          *string
	name, help string
}

func stringVars(fs *flag.FlagSet, flags []stringFlag) {
	for _, f := range flags {
		fs.StringVar(f.p, f.name, "", f.help)
	}
}

// positional are the actions that take arguments after their flags.
var positional = map[string]bool{admin.ActOrgShow: true, admin.ActRunsShow: true, admin.ActResend: true}

func orgSave(action string) adminCommand {
	return func(fs *flag.FlagSet) func() (string, any, error) {
		var r admin.Org
		stringVars(fs, []stringFlag{
			{&r.Code, "code", "organisation code (as in incoming/<kind>/<code>/)"},
			{&r.Name, "name", "full name"},
			{&r.INN, "inn", "INN: 10 digits (or 12), check digits verified"},
			{&r.KPP, "kpp", "KPP: 9 digits"},
			{&r.OrgPPAGUID, "org-ppa-guid", "orgPPAGUID from GIS"},
			{&r.Kind, "kind", "ufkr (capital-repair fund) or uk_rso (management company, supplier)"},
			{&r.LoadPolicy, "load-policy", "matched or acquiring"},
			{&r.ApprovalPolicy, "approval-policy", "auto, on_discrepancies or always (needs the approval migration)"},
			{&r.RefundCancellation, "refund-cancellation", "list (refunds of loaded payments are listed in runs show) or auto (cancelled)"},
			{&r.BankName, "bank-name", "recipient's bank (ufkr)"},
			{&r.BankBIK, "bik", "recipient bank's BIK (ufkr)"},
			{&r.OperatingAccount, "account", "operating account, keyed with the BIK (ufkr)"},
			{&r.CorrespondentAccount, "corr-account", "correspondent account, keyed with the BIK (ufkr)"},
			{&r.PaymentRecipient, "recipient", "payment recipient (ufkr)"},
			{&r.SigningKey, "signing-key", "own signing key: a Secrets Manager ARN or PEM file; - clears it (the operator signs)"},
		})
		return func() (string, any, error) {
			if r.Code == "" {
				return "", nil, fmt.Errorf("--code is required")
			}
			return action, r, nil
		}
	}
}

func orgList(fs *flag.FlagSet) func() (string, any, error) {
	return func() (string, any, error) { return admin.ActOrgList, admin.OrgList{}, nil }
}

func orgShow(fs *flag.FlagSet) func() (string, any, error) {
	return func() (string, any, error) {
		if fs.NArg() != 1 {
			return "", nil, fmt.Errorf("want one organisation code")
		}
		return admin.ActOrgShow, admin.OrgRef{Code: fs.Arg(0)}, nil
	}
}

func runsList(fs *flag.FlagSet) func() (string, any, error) {
	var r admin.RunsListRequest
	fs.StringVar(&r.Org, "org", "", "only this organisation's runs")
	fs.IntVar(&r.Limit, "limit", 20, "how many of the latest runs")
	return func() (string, any, error) { return admin.ActRunsList, r, nil }
}

func runsShow(fs *flag.FlagSet) func() (string, any, error) {
	return func() (string, any, error) {
		id, err := oneID(fs)
		return admin.ActRunsShow, admin.RunsShowRequest{RunID: id}, err
	}
}

func oneID(fs *flag.FlagSet) (int64, error) {
	if fs.NArg() != 1 {
		return 0, fmt.Errorf("want one id")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("bad id %q", fs.Arg(0))
	}
	return id, nil
}

func paymentsFind(fs *flag.FlagSet) func() (string, any, error) {
	var r admin.PaymentsFindRequest
	stringVars(fs, []stringFlag{{&r.Org, "org", "organisation code (required)"}, {&r.OrderID, "order", "order id"},
		{&r.Bill, "bill", "bill number"}, {&r.Account, "account", "account number"}})
	fs.IntVar(&r.Limit, "limit", 50, "at most this many, newest first")
	return func() (string, any, error) { return admin.ActPaymentsFind, r, nil }
}

func resend(fs *flag.FlagSet) func() (string, any, error) {
	var r admin.ResendRequest
	fs.StringVar(&r.Reason, "reason", "", "why (recorded with who asked; required)")
	fs.BoolVar(&r.ConfirmNotInGIS, "confirm-not-in-gis", false, "for unknown payments: you checked GIS and it does not hold them")
	return func() (string, any, error) {
		for _, a := range fs.Args() {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil || id <= 0 {
				return "", nil, fmt.Errorf("bad payment id %q", a)
			}
			r.PaymentIDs = append(r.PaymentIDs, id)
		}
		return admin.ActResend, r, nil
	}
}

func rerun(fs *flag.FlagSet) func() (string, any, error) {
	var r admin.RerunRequest
	stringVars(fs, []stringFlag{{&r.Org, "org", "organisation code"}, {&r.From, "from", "first day, YYYY-MM-DD"},
		{&r.To, "to", "last day, YYYY-MM-DD (default: from)"}, {&r.Name, "name", "execution name (default: org-rerun-from-to-minute)"}})
	return func() (string, any, error) {
		if r.To == "" {
			r.To = r.From
		}
		return admin.ActRerun, r, nil
	}
}

func approve(fs *flag.FlagSet) func() (string, any, error) {
	r := admin.ApproveRequest{Decision: "approve"}
	reject := fs.Bool("reject", false, "reject the run instead of approving it")
	load := fs.String("load", "", "order ids to load besides, comma-separated")
	withhold := fs.String("withhold", "", "order ids to withhold, comma-separated")
	fs.Int64Var(&r.RunID, "run", 0, "the run waiting for approval")
	fs.StringVar(&r.Comment, "comment", "", "a comment kept with the decision")
	return func() (string, any, error) {
		if *reject {
			r.Decision = "reject"
		}
		r.Load, r.Withhold = splitList(*load), splitList(*withhold)
		return admin.ActApprove, r, nil
	}
}

func cancel(fs *flag.FlagSet) func() (string, any, error) {
	var r admin.CancelRequest
	fs.Int64Var(&r.PaymentID, "payment", 0, "the payment to cancel")
	fs.StringVar(&r.Org, "org", "", "organisation code (with --order)")
	fs.StringVar(&r.OrderID, "order", "", "order id (with --org)")
	fs.StringVar(&r.Date, "date", "", "cancellation date, YYYY-MM-DD (default today)")
	fs.StringVar(&r.Reason, "reason", "", "why (GIS's Comment, at most 210 characters)")
	return func() (string, any, error) { return admin.ActCancel, r, nil }
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// decode reads an action's result.
func decode[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
