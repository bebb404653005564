// Package serve is `tmsdrift serve`: the long-lived service that audits a
// deployment on a schedule (gocron), keeps every run in the history,
// publishes the last run as Prometheus gauges and web pages, watches for
// TMS upgrades, and notifies. A run is the same audit `tmsdrift audit`
// makes (package pipeline); this package adds the when and the what next.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/pipeline"
)

// Options configure the service.
type Options struct {
	// InventoryPath is the inventory; it is re-read at every run.
	InventoryPath string
	// Listen overrides schedule.listen ("" keeps it).
	Listen string
	// Clock drives the scheduler and names the runs; nil is the real
	// clock (tests pass clockwork's fake clock and never sleep).
	Clock clockwork.Clock
	// Log receives the service's log lines; nil discards them.
	Log *slog.Logger
	// Getenv reads the environment (the bearer token); nil is os.Getenv.
	Getenv func(string) string
	// Notify sends notifications after each run; nil sends none.
	Notify Notifier
	// Audit lets tests replace the transports; zero is the real ones.
	Audit pipeline.AuditOptions
	// Ready, when set, is called once the service listens and its
	// scheduler runs, with the address it listens on.
	Ready func(addr net.Addr)
	// OnRun, when set, is called after each recorded run (tests wait on
	// it instead of sleeping).
	OnRun func(*history.Run)
}

// A stop waits stopTimeout for the run in flight to notice its
// cancellation (gocron's own wait), then drainTimeout more for it to clear
// its folder; a run still going then is abandoned (its folder removed),
// so the service exits within 10 s whatever a transport does.
const (
	stopTimeout  = 5 * time.Second
	drainTimeout = 2 * time.Second
)

// Service is a configured, not yet started service.
type Service struct {
	opts     Options
	inv      *inventory.Inventory
	runner   *Runner
	metrics  *Metrics
	listener net.Listener
	token    string
	started  time.Time

	running atomic.Bool // the scheduler runs
	mu      sync.Mutex
	next    func(time.Time) time.Time // the schedule's first run after a time (for /healthz)
	spec    string                    // schedule.audit and time_zone the job was built from
	job     gocron.Job
}

// NextRun is when the scheduler runs the audit next.
func (s *Service) NextRun() (time.Time, error) {
	s.mu.Lock()
	job := s.job
	s.mu.Unlock()
	if job == nil {
		return time.Time{}, errors.New("the scheduler is not running")
	}
	return job.NextRun()
}

// New checks the inventory and the listen address and prepares the
// service. An invalid inventory is an *inventory.Error (exit 2); a
// listen address reachable from other machines without a token is
// refused.
func New(opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	inv, err := inventory.Load(opts.InventoryPath, inventory.Options{KnownRules: checks.IDs()})
	if err != nil {
		return nil, err
	}
	listen := opts.Listen
	if listen == "" {
		listen = inv.Schedule.ListenAddr()
	} else if err := inventory.CheckListen(listen); err != nil {
		return nil, &UsageError{fmt.Errorf("--listen: %w", err)}
	}
	token := ""
	if name := inv.Schedule.ListenTokenEnv; name != "" {
		token = opts.Getenv(name)
	}
	if !inventory.IsLoopback(listen) && token == "" {
		why := "schedule.listen_token_env is not set"
		if name := inv.Schedule.ListenTokenEnv; name != "" {
			why = "the environment variable " + name + " (schedule.listen_token_env) is empty"
		}
		return nil, &UsageError{fmt.Errorf("refusing to listen on %s: it is reachable from other machines and the reports describe the deployment, but %s; set a bearer token or listen on 127.0.0.1", listen, why)}
	}
	if !inventory.IsLoopback(listen) {
		if why := weakToken(token); why != "" {
			return nil, weakTokenError(inv, listen, why)
		}
	}
	m := NewMetrics()
	s := &Service{opts: opts, inv: inv, metrics: m, token: token}
	s.runner = &Runner{InventoryPath: opts.InventoryPath, Store: history.Open(inv.HistoryPath()), Clock: opts.Clock,
		Log: opts.Log, Metrics: m, Notify: opts.Notify, Audit: opts.Audit, BaseURL: linkBase(listen), onRun: opts.OnRun,
		notifyInv: inv}
	s.opts.Listen = listen
	return s, nil
}

// linkBase is the service's address in the links notifications carry
// ("http://host:port"). An address that listens on every interface
// (":9417", "0.0.0.0:9417", "[::]:9417") is no place to send a reader:
// the link names this machine's host name instead.
func linkBase(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil && name != "" {
			host = name
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// UsageError is bad usage found before the service starts (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Runner is the service's run, for `serve --once` and tests.
func (s *Service) Runner() *Runner { return s.runner }

// Once performs one run through the same path as a scheduled one and
// returns its exit code (as `tmsdrift audit` would exit). It starts no
// scheduler and no web server.
func (s *Service) Once(ctx context.Context) int {
	s.clean()
	rec := s.runner.Run(ctx, history.Once)
	if rec == nil {
		return 3 // cancelled: nothing was checked
	}
	return rec.ExitCode
}

// clean removes what runs killed half-way left in the history.
func (s *Service) clean() {
	removed, err := s.runner.Store.Clean()
	if err != nil {
		s.opts.Log.Error("history: leftovers of unfinished runs not removed", "error", err)
	}
	for _, name := range removed {
		s.opts.Log.Warn("history: removed what an unfinished run left", "name", name)
	}
}

// Serve starts the scheduler and the web server and blocks until ctx
// ends (SIGTERM, SIGINT, the Windows service manager's stop); then it
// cancels the run in flight, which leaves no folder behind, and returns
// nil within stopTimeout.
func (s *Service) Serve(ctx context.Context) error {
	s.clean()
	s.restore()
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	if err := boundSafely(s.opts.Listen, ln.Addr(), s.token); err != nil {
		ln.Close()
		return err
	}
	s.listener = ln
	s.runner.BaseURL = linkBase(ln.Addr().String()) // the real port when listen asked for :0
	s.started = s.opts.Clock.Now()

	runCtx, cancelRuns := context.WithCancel(ctx)
	defer cancelRuns()
	sched, err := gocron.NewScheduler(gocron.WithClock(s.opts.Clock), gocron.WithStopTimeout(stopTimeout))
	if err != nil {
		ln.Close()
		return fmt.Errorf("scheduler: %w", err)
	}
	var job gocron.Job
	task := gocron.NewTask(func(ctx context.Context) {
		if rec := s.runner.Run(ctx, history.Scheduled); rec != nil {
			s.reschedule(sched, job, runCtx)
		}
	})
	def, spec, next, err := jobDefinition(s.inv.Schedule, s.opts.Clock.Now())
	if err != nil {
		ln.Close()
		return err
	}
	// One run at a time is the Runner's own lock, not gocron's singleton
	// mode: a tick during a run gets the lock refused, is logged and
	// leaves nothing. gocron frees its singleton slot only after its own
	// bookkeeping, some time after the run was recorded, so "recorded"
	// and "ready for the next tick" would be two moments; with the
	// Runner's lock they are one.
	job, err = sched.NewJob(def, task, gocron.WithName("audit"), gocron.WithContext(runCtx))
	if err != nil {
		ln.Close()
		return fmt.Errorf("schedule %q: %w", spec, err)
	}
	s.setSchedule(job, spec, next)
	sched.Start()
	s.running.Store(true)

	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	nextRun, _ := job.NextRun()
	s.opts.Log.Info("service started", "inventory", s.opts.InventoryPath, "listen", ln.Addr().String(),
		"schedule", spec, "next_run", nextRun.Format(time.RFC3339), "history", s.runner.Store.Dir())
	if s.opts.Ready != nil {
		s.opts.Ready(ln.Addr())
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		s.running.Store(false)
		_ = sched.Shutdown() // the web server failed; stop the runs too
		return fmt.Errorf("web server: %w", err)
	}
	s.opts.Log.Info("service stopping")
	cancelRuns()
	s.running.Store(false)
	var errs []error
	if err := sched.Shutdown(); errors.Is(err, gocron.ErrStopJobsTimedOut) {
		s.opts.Log.Warn("the run in flight has not stopped yet")
	} else if err != nil {
		errs = append(errs, fmt.Errorf("scheduler: %w", err))
	}
	// The run in flight has seen its cancellation by now (or Shutdown
	// timed out); wait for it to clear its folder, or give it up.
	done := make(chan struct{})
	go func() { s.runner.mu.Lock(); s.runner.mu.Unlock(); close(done) }() //nolint:staticcheck // an empty critical section waits for the run
	select {
	case <-done:
	case <-time.After(drainTimeout):
		if s.runner.Abandon() {
			s.opts.Log.Warn("the run in flight did not stop in time (a node or the database ignores cancellation); its folder was removed")
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		errs = append(errs, fmt.Errorf("web server: %w", err))
	}
	s.opts.Log.Info("service stopped")
	return errors.Join(errs...)
}

// restore picks up where the history left off: /metrics and /healthz
// describe the last recorded run from the start, not only after the
// first run of this process.
func (s *Service) restore() {
	runs, err := s.runner.Store.List(0)
	if len(runs) == 0 {
		if err != nil {
			s.opts.Log.Warn("history unreadable; starting without the last run", "error", err)
		}
		return
	}
	last := runs[0]
	for _, r := range runs {
		if slices.Contains(r.Files, history.ReportJSON) {
			rep, err := s.runner.Store.Report(r.ID)
			if err != nil {
				s.opts.Log.Warn("last report unreadable; metrics start without results", "run", r.ID, "error", err)
				break
			}
			s.metrics.Update(r, rep)
			break
		}
	}
	s.metrics.Update(last, nil)
	s.runner.stateMu.Lock()
	s.runner.last = last
	s.runner.stateMu.Unlock()
}

// jobDefinition turns the schedule into a gocron job: @every as a fixed
// interval, a cron expression read in the schedule's zone. next gives the
// schedule's first run after any time, read by gocron's own cron parser,
// so /healthz follows the schedule's real gaps (a weekday schedule has
// none on Saturday).
func jobDefinition(sch inventory.Schedule, now time.Time) (def gocron.JobDefinition, spec string, next func(time.Time) time.Time, err error) {
	if d, ok := sch.Every(); ok {
		return gocron.DurationJob(d), sch.AuditSpec(), func(t time.Time) time.Time { return t.Add(d) }, nil
	}
	loc, err := sch.Location()
	if err != nil {
		return nil, "", nil, err
	}
	spec = "CRON_TZ=" + loc.String() + " " + sch.AuditSpec()
	c := gocron.NewDefaultCron(true)
	if err := c.IsValid(spec, loc, now); err != nil {
		return nil, "", nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return gocron.CronJob(spec, true), spec, c.Next, nil
}

// setSchedule remembers the job, its spec and its next-run function.
func (s *Service) setSchedule(job gocron.Job, spec string, next func(time.Time) time.Time) {
	s.mu.Lock()
	s.next, s.spec, s.job = next, spec, job
	s.mu.Unlock()
}

// reschedule applies an edited schedule.audit or time_zone after a run:
// the inventory is re-read at every run, and so is the schedule.
func (s *Service) reschedule(sched gocron.Scheduler, job gocron.Job, ctx context.Context) {
	inv, err := inventory.Load(s.opts.InventoryPath, inventory.Options{KnownRules: checks.IDs()})
	if err != nil {
		return // recorded by the run; the schedule stays as it was
	}
	def, spec, next, err := jobDefinition(inv.Schedule, s.opts.Clock.Now())
	s.mu.Lock()
	same := spec == s.spec
	s.mu.Unlock()
	if err != nil || same {
		return
	}
	task := gocron.NewTask(func(ctx context.Context) {
		if rec := s.runner.Run(ctx, history.Scheduled); rec != nil {
			s.reschedule(sched, job, ctx)
		}
	})
	updated, err := sched.Update(job.ID(), def, task, gocron.WithName("audit"), gocron.WithContext(ctx))
	if err != nil {
		s.opts.Log.Error("new schedule not applied", "schedule", spec, "error", err)
		return
	}
	s.setSchedule(updated, spec, next)
	s.opts.Log.Info("schedule changed", "schedule", spec)
}

// boundSafely checks, once bound, what New could only read from the
// address: without a token the service must listen on a loopback
// address. "localhost" counts as loopback in the inventory, but it is a
// name, and a hosts file may map it elsewhere.
func boundSafely(listen string, addr net.Addr, token string) error {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	if token == "" {
		return &UsageError{fmt.Errorf("refusing to listen on %s: it was bound to %s, which other machines can reach, and schedule.listen_token_env sets no bearer token; listen on 127.0.0.1 or set a token", listen, addr)}
	}
	if why := weakToken(token); why != "" {
		return &UsageError{fmt.Errorf("refusing to listen on %s: it was bound to %s, which other machines can reach, and the bearer token (schedule.listen_token_env) %s; make one with %s", listen, addr, why, tokenRecipe)}
	}
	return nil
}

// MinTokenLength is the shortest bearer token serve accepts on an address
// other machines can reach: 32 characters, which is 128 bits when the
// token is hex (openssl rand -hex 16) and more in base64. tmsdrift
// assumption, after OWASP's Session Management Cheat Sheet (Session ID
// Entropy: at least 64 bits, from a CSPRNG) and NIST SP 800-63B (section
// 5.1.1: memorized secrets of at least 8 characters; look-up secrets and
// authenticators of at least 112 bits): the token is a long-lived
// credential checked on every request, so 128 bits. The length is all
// tmsdrift can check; the randomness is the administrator's.
const MinTokenLength = 32

// tokenRecipe is how to make a good token; tmsdrift keygen makes
// machineKeys, not tokens.
const tokenRecipe = "`openssl rand -hex 32` (64 hex characters, 256 bits)"

// weakToken says why token is not fit to guard an address other machines
// can reach, or "" when it is. The token is never part of the reason.
func weakToken(token string) string {
	if strings.TrimSpace(token) == "" {
		return "is only white space"
	}
	if strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		// A header value loses its surrounding white space on the way and
		// cannot carry a control character: such a token never matches.
		return "contains white space or a control character"
	}
	if n := utf8.RuneCountInString(token); n < MinTokenLength {
		return fmt.Sprintf("has %d characters, fewer than %d", n, MinTokenLength)
	}
	return ""
}

// weakTokenError is the start refused for a weak token: an inventory
// problem at schedule.listen_token_env (exit 2), naming the environment
// variable and never its value.
func weakTokenError(inv *inventory.Inventory, listen, why string) error {
	const field = "schedule.listen_token_env"
	line, col := inv.Locate(field)
	return &inventory.Error{Problems: []inventory.Problem{{File: inv.File, Line: line, Column: col, Field: field,
		Message: fmt.Sprintf("refusing to listen on %s: the bearer token in the environment variable %s %s (a token must have at least %d characters, 128 bits as hex: OWASP, NIST SP 800-63B); make one with %s, set %s to it and start again",
			listen, inv.Schedule.ListenTokenEnv, why, MinTokenLength, tokenRecipe, inv.Schedule.ListenTokenEnv)}}}
}
