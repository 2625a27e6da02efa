package wiring

import (
	"github.com/gispayments/gis-payments/internal/admin"
	"github.com/gispayments/gis-payments/internal/approval"
	"github.com/gispayments/gis-payments/internal/canceller"
	"github.com/gispayments/gis-payments/internal/enricher"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/poller"
	"github.com/gispayments/gis-payments/internal/ratelimit"
	"github.com/gispayments/gis-payments/internal/reconciler"
	"github.com/gispayments/gis-payments/internal/scheduler"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/uploadtrigger"
)

// UploadTrigger is the upload-trigger step: it starts the runs it pairs
// (without a state machine, it reports them) and decides runs from
// approval uploads.
func (a *App) UploadTrigger() *uploadtrigger.Service {
	svc := a.uploads()
	svc.Starter = uploadtrigger.NoStarter{}
	if sf := a.executions(); sf != nil {
		svc.Starter = sf
	} else {
		a.Log.Info("STATE_MACHINE_ARN is not set: runs are reported in the result, not started")
	}
	if a.Steps != nil {
		svc.Approvals = &approval.Uploads{Store: a.Store, Objects: a.Objects, Tasks: a.Steps}
	}
	return svc
}

// uploads checks and registers uploads; alone it starts nothing.
func (a *App) uploads() *uploadtrigger.Service {
	return &uploadtrigger.Service{Store: a.Store, Objects: a.Objects, Limits: a.Config.Limits, Log: a.Log}
}

// executions starts the state machine; nil without one (local runs).
func (a *App) executions() *uploadtrigger.StepFunctions {
	if a.Steps == nil || a.Config.StateMachineARN == "" {
		return nil
	}
	return &uploadtrigger.StepFunctions{Client: a.Steps, StateMachineARN: a.Config.StateMachineARN}
}

// Reconciler is the reconciler step. The daily run registers uploads whose
// event was lost the way the upload trigger does (it starts nothing; the
// run reconciles them).
func (a *App) Reconciler() *reconciler.Service {
	return &reconciler.Service{Store: a.Store, Objects: a.Objects, Uploads: a.uploads(), IncomingBucket: a.Config.ExportsBucket,
		ReportBucket: a.Config.ExportsBucket, Limits: a.Config.Limits, Log: a.Log, Clock: a.Clock}
}

// Canceller is the canceller step.
func (a *App) Canceller() *canceller.Service {
	return &canceller.Service{Store: a.Store, Objects: a.Objects, Limits: a.Config.Limits, Log: a.Log, Clock: a.Clock}
}

// Enricher is the enricher step. Its queries are signed as packages are:
// the organisation's own key or the operator's.
func (a *App) Enricher() *enricher.Service {
	svc := &enricher.Service{Store: a.Store, GIS: a.GISClient, SignerFor: a.Packer().SignerFor, CallTimeout: a.GIS.Client.Timeout,
		Concurrency: a.GIS.Concurrency, Log: a.Log, Clock: a.Clock, Deadline: a.GIS.Lookup.Deadline, MaxSends: a.GIS.Lookup.MaxSends,
		FoundTTL: a.GIS.Lookup.FoundTTL, NotFoundTTL: a.GIS.Lookup.NotFoundTTL}
	if l := a.gisLimiter(); l != nil {
		svc.Limiter = l
	}
	return svc
}

// Packer is the packer step. Without a Signer, keys are loaded per
// invocation and organisation: an organisation's own
// (organization.signing_key) or the operator's (GIS_SIGNING_KEY).
func (a *App) Packer() *packer.Service {
	svc := &packer.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		PackageSize: a.GIS.PackageSize, Log: a.Log, Clock: a.Clock, Signer: a.Signer}
	if a.Signer == nil {
		svc.Keys = &packer.Keys{Operator: a.Config.SigningKey, OperatorCert: a.Config.SigningCert, Metrics: a.Metrics}
	}
	return svc
}

// Sender is the sender step, as both the sender and the poller's sweep
// use it.
func (a *App) Sender() *sender.Service {
	svc := &sender.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket, GIS: a.GISClient,
		Concurrency: a.GIS.Concurrency, CallTimeout: a.GIS.Client.Timeout, Log: a.Log}
	if l := a.gisLimiter(); l != nil {
		svc.Limiter = l
	}
	return svc
}

// Poller is the poller step; its sweep posts what runs left unsent through
// its own Sender.
func (a *App) Poller() *poller.Service {
	svc := &poller.Service{Store: a.Store, Objects: a.Objects, ArchiveBucket: a.Config.ArchiveBucket,
		ResultsBucket: a.Config.ExportsBucket, GIS: a.GISClient, Sender: a.Sender(),
		RunTimeout: a.GIS.RunTimeout, Grace: a.GIS.PollGrace, ReconRetention: a.GIS.ReconRetention,
		CallTimeout: a.GIS.Client.Timeout, DoubtLimit: a.GIS.DoubtLimit, Concurrency: a.GIS.Concurrency, Log: a.Log,
		Metrics: a.Metrics, MaxPaymentAge: a.GIS.PaymentMaxAge, Clock: a.Clock, Reports: a.Reconciler()}
	if l := a.gisLimiter(); l != nil {
		svc.Limiter = l
	}
	if a.Notifier != nil {
		svc.Notifier = a.Notifier
	}
	return svc
}

// gisLimiter paces every request to GIS, imports and getState alike, at
// GIS_RATE_PER_SECOND across all invocations; nil when it is 0.
func (a *App) gisLimiter() *ratelimit.Limiter {
	if a.GIS.RatePerSecond <= 0 {
		return nil
	}
	return &ratelimit.Limiter{Pool: a.Store.Pool, Name: "gis", Rate: a.GIS.RatePerSecond, Clock: a.Clock}
}

// Approval is the approval step.
func (a *App) Approval() *approval.Service {
	svc := &approval.Service{Store: a.Store, ExportsBucket: a.Config.ExportsBucket, Log: a.Log}
	if a.Notifier != nil {
		svc.Notices = a.Notifier
	}
	return svc
}

// Scheduler is the scheduler step.
func (a *App) Scheduler() *scheduler.Service {
	svc := &scheduler.Service{Store: a.Store, Log: a.Log, Clock: a.Clock}
	if a.Notifier != nil {
		svc.Notices = a.Notifier
	}
	return svc
}

// Admin is the operators' actions: rerun and cancel start the state
// machine; without one (local runs), rerun says so and a cancellation
// waits for the next cancellation run.
func (a *App) Admin() *admin.Service {
	svc := &admin.Service{Store: a.Store, Log: a.Log}
	if a.Steps != nil {
		svc.Approver = admin.DecisionApprover{Store: a.Store, Tasks: a.Steps}
	}
	if sf := a.executions(); sf != nil {
		svc.Starter = sf
	}
	svc.Canceller = admin.StoreCanceller{Store: a.Store, Starter: svc.Starter}
	return svc
}
