package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/report"
)

// Notice is what a finished run hands to the notifier: everything a
// message needs, already rendered.
type Notice struct {
	Inventory *inventory.Inventory
	Run       *history.Run
	// Report is the run's report (after a restore, the audit that
	// followed it).
	Report *report.Report
	// Changes is what changed since the previous report; nil on the
	// first run.
	Changes *report.Changes
	// ReportURL is where the service serves the run's HTML report.
	ReportURL string
	// Markdown and HTML are the report as rendered into the history.
	Markdown, HTML []byte
	// Notes are sentences for the top of the message (upgrade detected,
	// what was restored, which command to run).
	Notes []string
	// Retry lists the channels whose notification of the previous run
	// failed: they are sent again now whatever the notify policy says.
	Retry []string
	// Force is set when the run has news the policy must not hold back:
	// an upgrade, a run that could not finish, an inventory that has
	// just become invalid.
	Force bool
	// Headline replaces the verdict and the changes in the subject of a
	// run without a report.
	Headline string
}

// Notifier sends a run's notifications and says how each channel fared.
// It must not fail the run: every failure is a result.
type Notifier func(ctx context.Context, n Notice) []history.Notification

// Runner is one audit run of the service, the same for a scheduled tick
// and `serve --once`: re-read the inventory, audit through the pipeline
// `tmsdrift audit` uses, watch for upgrades, compare with the previous
// run, keep the history, publish metrics, notify.
type Runner struct {
	// InventoryPath is read afresh at every run.
	InventoryPath string
	// Store is the history of the inventory the service started with; an
	// inventory that has become invalid is recorded there.
	Store   *history.Store
	Clock   clockwork.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// Notify is nil when notifications are not wired.
	Notify Notifier
	// BaseURL is the service's address for links in notifications
	// ("http://127.0.0.1:9417").
	BaseURL string
	// Audit lets tests replace the transports; zero is the real ones.
	Audit pipeline.AuditOptions

	onRun func(*history.Run)

	// notifyInv is the last inventory that loaded: an invalid one has no
	// notify block to read, so its run is told through this one's.
	notifyInv *inventory.Inventory

	mu      sync.Mutex // one run at a time
	stateMu sync.Mutex
	// warnedLeft: the folders schedule.keep left alone that the log has
	// warned of (under mu).
	warnedLeft map[string]bool
	last       *history.Run     // the last recorded run
	inFlight   *history.Pending // the run being written, if any
	abandoned  bool             // the service gave the run in flight up
}

// Abandon removes the folder of the run in flight, if any, and makes sure
// it is never recorded: the service stops and the run did not notice its
// cancellation in time (a transport blocked in a call that ignores it).
// It reports whether there was a run to abandon.
func (r *Runner) Abandon() bool {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	if r.inFlight == nil {
		return false
	}
	r.abandoned = true
	if err := r.inFlight.Abort(); err != nil {
		r.Log.Error("unfinished run not removed", "id", r.inFlight.ID(), "error", err)
	}
	return true
}

// track marks p as the run in flight (nil: none); it returns false when
// the run was abandoned meanwhile and must not be recorded.
func (r *Runner) track(p *history.Pending) bool {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	ok := !r.abandoned
	r.inFlight = p
	return ok
}

// Last is the last recorded run of this process (nil before the first).
func (r *Runner) Last() *history.Run {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	return r.last
}

// errShutdown marks a run cancelled because the service is stopping: its
// folder is removed rather than recorded as a failure.
var errShutdown = errors.New("the service is stopping")

// Run performs one run and records it. It returns the recorded run, or
// nil when the run was skipped (another is in flight) or cancelled by the
// service stopping (nothing is recorded then). A panic inside the run is
// recovered and recorded as a failed run.
func (r *Runner) Run(ctx context.Context, trigger history.Trigger) *history.Run {
	if !r.mu.TryLock() {
		r.Log.Warn("run skipped: the previous run is still going", "trigger", string(trigger))
		return nil
	}
	var rec *history.Run
	func() {
		defer r.mu.Unlock()
		rec = r.run(ctx, trigger)
	}()
	// After the unlock: whoever hears of the run can start the next one.
	if rec != nil && r.onRun != nil {
		r.onRun(rec)
	}
	return rec
}

// run is Run with the run lock held.
func (r *Runner) run(ctx context.Context, trigger history.Trigger) *history.Run {
	if ctx.Err() != nil {
		return nil
	}
	started := r.Clock.Now()
	pending, err := r.Store.Begin(started)
	if err != nil {
		r.Log.Error("run not recorded: cannot write the history", "error", err)
		return nil
	}
	r.track(pending)
	defer r.track(nil)
	rec := &history.Run{Trigger: trigger, StartedAt: started}
	out := &outcome{}
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.Log.Error("run panicked", "id", pending.ID(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				rec.ExitCode, rec.Error = report.ExitErrored, fmt.Sprintf("the run panicked: %v", p)
				rec.Summary, out.report, out.err = nil, nil, nil
			}
		}()
		r.perform(ctx, pending, rec, out)
		if out.err != nil {
			return
		}
		rec.FinishedAt = r.Clock.Now()
		r.render(pending, rec, out)
		if r.Notify != nil && out.notice != nil {
			out.notice.Run = rec
			rec.Notifications = r.Notify(ctx, *out.notice)
			for _, n := range rec.Notifications {
				if !n.OK {
					r.Log.Warn("notification failed; it is sent again after the next run", "id", pending.ID(), "channel", n.Channel, "error", n.Error)
				}
			}
		}
	}()
	if errors.Is(out.err, errShutdown) {
		if err := pending.Abort(); err != nil {
			r.Log.Error("unfinished run not removed", "id", pending.ID(), "error", err)
		}
		r.Log.Info("run cancelled: the service is stopping", "id", pending.ID())
		return nil
	}
	if rec.FinishedAt.IsZero() {
		rec.FinishedAt = r.Clock.Now()
	}
	if !r.track(pending) {
		return nil // the service gave up on this run and removed its folder
	}
	if err := pending.Commit(rec); errors.Is(err, history.ErrIndexStale) {
		// The run folder is in place: the run is recorded, only the
		// listing cache lags.
		r.Log.Warn("run recorded, history index not updated", "id", pending.ID(), "error", err)
	} else if err != nil {
		r.Log.Error("run not recorded", "id", pending.ID(), "error", err)
		_ = pending.Abort() // best effort: the folder is a temporary one
		return nil
	}
	r.Metrics.Update(rec, out.report)
	r.stateMu.Lock()
	r.last = rec
	r.stateMu.Unlock()
	r.logRun(rec)
	if out.inv != nil {
		removed, left, err := r.Store.Prune(out.inv.Schedule.KeepRuns())
		// Each folder is warned of once per process (a foreign folder
		// would otherwise repeat the warning every night); after that the
		// line is Debug.
		var fresh []string
		for _, name := range left {
			if !r.warnedLeft[name] {
				fresh = append(fresh, name)
			}
		}
		if len(fresh) > 0 {
			if r.warnedLeft == nil {
				r.warnedLeft = map[string]bool{}
			}
			for _, name := range fresh {
				r.warnedLeft[name] = true
			}
			r.Log.Warn("history: folders left alone by schedule.keep (not run folders tmsdrift wrote, or damaged)", "dir", r.Store.Dir(), "left", strings.Join(fresh, " "))
		} else if len(left) > 0 {
			r.Log.Debug("history: folders left alone by schedule.keep, already warned of", "dir", r.Store.Dir(), "left", strings.Join(left, " "))
		}
		switch {
		case errors.Is(err, history.ErrIndexStale):
			r.Log.Warn("history pruned, index not updated", "error", err)
		case err != nil:
			r.Log.Error("history not pruned", "error", err)
		}
		if len(removed) > 0 {
			r.Log.Info("history pruned", "removed", len(removed), "oldest_kept_after", removed[len(removed)-1])
		}
	}
	return rec
}

// outcome is what perform leaves for rendering and notifying.
type outcome struct {
	inv     *inventory.Inventory
	report  *report.Report
	changes *report.Changes
	notes   []string
	retry   []string // channels whose last notification failed
	notice  *Notice
	err     error
}

// perform does the run's work into rec and out.
func (r *Runner) perform(ctx context.Context, pending *history.Pending, rec *history.Run, out *outcome) {
	prev, err := r.Store.Latest()
	if err != nil {
		r.Log.Warn("previous run unreadable; this run is compared with nothing", "error", err)
	}
	inv, err := inventory.Load(r.InventoryPath, inventory.Options{KnownRules: checks.IDs()})
	if err != nil {
		rec.ExitCode = report.ExitUsage
		rec.Deployment = r.lastDeployment(prev)
		var ie *inventory.Error
		if errors.As(err, &ie) {
			for _, p := range ie.Problems {
				rec.Problems = append(rec.Problems, p.String())
			}
		} else {
			rec.Problems = []string{err.Error()}
		}
		r.Log.Error("inventory invalid: this run audits nothing", "id", pending.ID(), "problems", strings.Join(rec.Problems, "; "))
		if r.notifyInv != nil {
			// Told through the last valid inventory's notify block: at
			// once when it has just become invalid, and after that as
			// notify.on says of a run that is not a pass (failure,
			// always), so a nightly check broken by an edit is not silent.
			out.retry = r.pendingRetries(prev)
			notes := append([]string{fmt.Sprintf("The inventory %s is invalid, so nothing was audited; the next run reads it again. Fix:", r.InventoryPath)}, rec.Problems...)
			out.notice = &Notice{Inventory: r.notifyInv, Notes: notes, Retry: out.retry,
				Force: prev == nil || prev.ExitCode != report.ExitUsage, Headline: "inventory invalid, nothing audited"}
		}
		return
	}
	out.inv = inv
	r.notifyInv = inv
	out.retry = r.pendingRetries(prev)
	rec.Deployment = inv.Deployment
	runCtx, cancel := context.WithTimeout(ctx, inv.Schedule.Timeout())
	defer cancel()

	opts := r.Audit
	opts.Now = r.Clock.Now
	audit, err := pipeline.RunAudit(runCtx, inv, opts)
	if err != nil {
		r.failed(ctx, rec, out, inv, err)
		return
	}
	rec.Versions = versions(audit)
	rep := audit.Report

	if up := upgradeOf(prev, rec.Versions); up != nil {
		rec.Upgrade = up
		out.notes = append(out.notes, "TMS upgrade detected: "+strings.Join(up.Nodes, ", ")+".")
		rep = r.postUpgrade(runCtx, inv, audit, up, out)
		if err := ctx.Err(); err != nil {
			r.failed(ctx, rec, out, inv, err)
			return
		}
	}
	out.report = rep
	rec.ExitCode = rep.ExitCode(checks.Low)
	rec.Summary = &rep.Summary

	var old *report.Report
	if prev != nil {
		if old, err = r.previousReport(prev); err != nil {
			r.Log.Warn("previous report unreadable; this run is compared with nothing", "previous", prev.ID, "error", err)
		}
	}
	ch := report.Compare(old, rep)
	out.changes = &ch
	rec.Changes = &history.Changes{Summary: ch.Summary(), NewFailures: len(ch.NewFailures), Resolved: len(ch.Resolved), Waived: len(ch.Waived),
		StillFailing: len(ch.StillFailing), NewErrors: len(ch.NewErrors), ClearedErrors: len(ch.ClearedErrors),
		VerdictChanged: ch.VerdictChanged}
	if old != nil {
		rec.Changes.Since = history.NewID(old.StartedAt)
		r.firstSeen(&ch, prev.ID)
	}
	out.notice = &Notice{Inventory: inv, Report: rep, Changes: out.changes, Notes: out.notes, Retry: out.retry,
		Force:     rec.Upgrade != nil,
		ReportURL: strings.TrimRight(r.BaseURL, "/") + "/reports/" + pending.ID() + "/report.html"}
}

// failed records a run that could not finish: cancelled by the service
// stopping (not recorded), past its run_timeout, or failing outright.
func (r *Runner) failed(ctx context.Context, rec *history.Run, out *outcome, inv *inventory.Inventory, err error) {
	if ctx.Err() != nil {
		out.err = errShutdown
		return
	}
	rec.ExitCode = report.ExitErrored
	if errors.Is(err, context.DeadlineExceeded) {
		rec.Error = fmt.Sprintf("the run took longer than schedule.run_timeout (%s) and was stopped", inv.Schedule.Timeout())
	} else {
		rec.Error = "the run failed: " + err.Error()
	}
	out.report = nil
	out.notice = &Notice{Inventory: inv, Notes: append(out.notes, rec.Error), Retry: out.retry, Force: true,
		Headline: "the run could not finish"}
}

// pendingRetries are the channels whose last notification failed, to be
// sent again now: those of the newest run that could notify. A run whose
// inventory was invalid and that sent nothing (notify.on held it back,
// or the service had no valid inventory yet) neither delivered nor
// cleared a failed notification; the runs before it are looked at
// instead.
func (r *Runner) pendingRetries(prev *history.Run) []string {
	if prev == nil || prev.ExitCode != report.ExitUsage || len(prev.Notifications) > 0 {
		return failedChannels(prev)
	}
	runs, err := r.Store.List(0)
	if err != nil {
		r.Log.Warn("history partly unreadable; a failed notification may not be sent again", "error", err)
	}
	for _, run := range runs {
		if run.ExitCode != report.ExitUsage || len(run.Notifications) > 0 {
			return failedChannels(run)
		}
	}
	return nil
}

// failedChannels are the channels whose notification of run prev failed.
func failedChannels(prev *history.Run) []string {
	if prev == nil {
		return nil
	}
	var out []string
	for _, n := range prev.Notifications {
		if !n.OK && !slices.Contains(out, n.Channel) {
			out = append(out, n.Channel)
		}
	}
	return out
}

// lastDeployment names the deployment for a run whose inventory could not
// be read: as the previous run named it.
func (r *Runner) lastDeployment(prev *history.Run) string {
	if prev != nil {
		return prev.Deployment
	}
	return ""
}

// previousReport is the report of the newest run before this one that
// has one (an invalid-inventory run has none).
func (r *Runner) previousReport(prev *history.Run) (*report.Report, error) {
	if slices.Contains(prev.Files, history.ReportJSON) {
		return r.Store.Report(prev.ID)
	}
	runs, err := r.Store.List(0)
	for _, run := range runs {
		if slices.Contains(run.Files, history.ReportJSON) {
			return r.Store.Report(run.ID)
		}
	}
	return nil, err
}

// firstSeen walks back the history for the results still failing, so
// each says since when (Compare only knows the previous run).
func (r *Runner) firstSeen(ch *report.Changes, prevID string) {
	if len(ch.StillFailing) == 0 {
		return
	}
	if err := history.WalkFirstSeen(r.Store, prevID, ch.StillFailing); err != nil {
		r.Log.Warn("history incomplete: some first-seen dates are the previous run's", "error", err)
	}
}

// render writes the run's reports into its folder.
func (r *Runner) render(pending *history.Pending, rec *history.Run, out *outcome) {
	if out.report == nil {
		return
	}
	opts := report.Options{Inventory: r.InventoryPath, Changes: out.changes, Notes: out.notes}
	files := []struct{ name, format string }{
		{history.ReportJSON, "json"}, {history.ReportHTML, "html"}, {history.ReportMarkdown, "markdown"},
	}
	for _, f := range files {
		w, err := report.NewWriter(f.format, opts)
		if err != nil {
			r.Log.Error("report not written", "id", pending.ID(), "file", f.name, "error", err)
			continue
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, out.report); err != nil {
			r.Log.Error("report not written", "id", pending.ID(), "file", f.name, "error", err)
			continue
		}
		if err := pending.WriteFile(f.name, buf.Bytes()); err != nil {
			r.Log.Error("report not written", "id", pending.ID(), "file", f.name, "error", err)
			continue
		}
		if out.notice != nil {
			switch f.name {
			case history.ReportHTML:
				out.notice.HTML = buf.Bytes()
			case history.ReportMarkdown:
				out.notice.Markdown = buf.Bytes()
			}
		}
	}
}

// logRun is the one line each run leaves in the log.
func (r *Runner) logRun(rec *history.Run) {
	attrs := []any{"id", rec.ID, "trigger", string(rec.Trigger), "deployment", rec.Deployment,
		"verdict", rec.Verdict, "exit", rec.ExitCode, "duration", rec.Duration().Round(time.Millisecond).String()}
	if s := rec.Summary; s != nil {
		attrs = append(attrs, "pass", s.Pass, "fail", s.Fail, "waived", s.Waived, "error", s.Error)
	}
	if rec.Changes != nil {
		attrs = append(attrs, "changes", rec.Changes.Summary)
	}
	if rec.Upgrade != nil {
		attrs = append(attrs, "upgrade", strings.Join(rec.Upgrade.Nodes, ", "))
	}
	if rec.Error != "" {
		attrs = append(attrs, "error", rec.Error)
	}
	level := slog.LevelInfo
	if rec.ExitCode == report.ExitUsage || rec.Error != "" {
		level = slog.LevelError
	}
	r.Log.Log(context.Background(), level, "run", attrs...)
}

// versions is the TMS version each node reported ("" when unknown).
func versions(a *pipeline.Audit) map[string]string {
	out := make(map[string]string, len(a.Deployment.Nodes))
	for _, n := range a.Deployment.Nodes {
		v := ""
		if n.Facts != nil && n.Facts.TMS != nil {
			v = n.Facts.TMS.Version
		}
		out[n.Spec.Name] = v
	}
	return out
}

// upgradeOf compares the versions with the previous run's: a node whose
// known version differs from its known version then was upgraded (or
// reinstalled). Unknown versions (a node that could not be read) are no
// evidence either way.
func upgradeOf(prev *history.Run, now map[string]string) *history.Upgrade {
	if prev == nil || len(prev.Versions) == 0 {
		return nil
	}
	var changed []string
	for _, name := range sortedKeys(now) {
		before, after := lookupFold(prev.Versions, name), now[name]
		if before != "" && after != "" && before != after {
			changed = append(changed, fmt.Sprintf("%s: %s → %s", name, before, after))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return &history.Upgrade{Nodes: changed}
}

// postUpgrade is the upgrade watch's second half: with auto_fix
// post-upgrade it restores exactly as `tmsdrift post-upgrade` does and
// returns the audit taken afterwards; without, it changes nothing and
// says which command to run.
func (r *Runner) postUpgrade(ctx context.Context, inv *inventory.Inventory, a *pipeline.Audit, up *history.Upgrade, out *outcome) *report.Report {
	var failing []string
	for _, res := range a.Results {
		if res.Status == checks.Fail && slices.Contains(pipeline.PostUpgradeRules, res.Rule) {
			failing = append(failing, strings.TrimSpace(res.Rule+" "+res.Node))
		}
	}
	if len(failing) == 0 {
		out.notes = append(out.notes, "The post-upgrade check passed: the machineKey and the server addresses are as the inventory says.")
		return a.Report
	}
	command := "tmsdrift post-upgrade -i " + shellword.Quote(inv.File)
	if !inv.Schedule.HasAutoFix(inventory.AutoFixPostUpgrade) {
		up.Command = command
		out.notes = append(out.notes, fmt.Sprintf("The post-upgrade check fails (%s). Nothing was changed: run `%s` (add schedule.auto_fix: [post-upgrade] to let the service do it).", strings.Join(failing, ", "), command))
		return a.Report
	}
	up.AutoFix = true
	opts := r.Audit
	opts.Now = r.Clock.Now
	fix, err := pipeline.RunFix(ctx, inv, pipeline.FixOptions{
		AuditOptions: opts, Command: "post-upgrade", Only: pipeline.PostUpgradeRules, Apply: true,
		Holder: holder(), ApplyHint: command,
	})
	if err != nil {
		up.Error = err.Error()
		up.Command = command
		out.notes = append(out.notes, fmt.Sprintf("The automatic post-upgrade restore failed: %v. Run `%s`.", err, command))
		r.Log.Error("post-upgrade restore failed", "error", err)
		return a.Report
	}
	for _, w := range fix.Warnings {
		r.Log.Warn("post-upgrade restore", "warning", w)
	}
	if o := fix.Document.Outcome; o != nil {
		up.FixRun = o.Run
	}
	for _, v := range fix.Document.Verdicts {
		up.Restored = append(up.Restored, fmt.Sprintf("%s: %s", strings.TrimSpace(v.Rule+" "+v.Node), v.Status))
	}
	out.notes = append(out.notes, fmt.Sprintf("Restored automatically (fix run %s, `tmsdrift rollback -i %s %s` puts it back): %s.",
		up.FixRun, shellword.Quote(inv.File), up.FixRun, strings.Join(up.Restored, ", ")))
	return fix.Report
}

// holder describes the service in the deployment's lock file.
func holder() fixers.Holder {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	return fixers.Holder{PID: os.Getpid(), Host: host, Command: "tmsdrift serve (post-upgrade)", Since: time.Now().UTC()}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookupFold finds a node's entry whatever the case of its name.
func lookupFold(m map[string]string, name string) string {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
