package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tmsdrift/tmsdrift/history"
)

// handler is the service's web interface:
//
//	/healthz                         200 while healthy, 503 with the reason (no token needed)
//	/metrics                         Prometheus
//	/, /reports/latest               the last run's HTML report
//	/reports/latest.json             the last run's JSON report
//	/reports/<run-id>/report.html    a run's HTML report (also report.json, report.md)
func (s *Service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry(), promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", s.latest(history.ReportHTML))
	mux.HandleFunc("GET /reports/latest", s.latest(history.ReportHTML))
	mux.HandleFunc("GET /reports/latest.json", s.latest(history.ReportJSON))
	mux.HandleFunc("GET /reports/{id}/{file}", s.runFile)
	return s.authorize(mux)
}

// authorize demands the bearer token on every request but /healthz when
// the service has one. The comparison takes the same time whatever the
// token sent, its length included (both sides are compared as SHA-256
// digests; subtle.ConstantTimeCompare alone returns at once on a length
// that differs), so it cannot be guessed byte by byte. The scheme's name
// is case-insensitive (RFC 9110 §11.1).
func (s *Service) authorize(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(s.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer, the 401 and /metrics included, is what its
		// Content-Type says; no browser may guess it is a page.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if s.token != "" && r.URL.Path != "/healthz" {
			scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
			sum := sha256.Sum256([]byte(got))
			if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tmsdrift"`)
				http.Error(w, "a bearer token is required (Authorization: Bearer <token>)", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Health is what /healthz decides.
type Health struct {
	OK     bool
	Reason string
}

// Health is the service's state: healthy while the scheduler runs and
// the last run (whatever its verdict) finished within twice the
// schedule's interval, read on the schedule itself: overdue once the
// schedule has come round twice since the last run finished (for a
// nightly run, 48 hours; a weekday schedule has no runs due over the
// weekend). Before the first run the service counts from its start.
func (s *Service) Health() Health {
	if !s.running.Load() {
		return Health{Reason: "the scheduler is not running"}
	}
	s.mu.Lock()
	next := s.next
	s.mu.Unlock()
	now := s.opts.Clock.Now()
	last := s.runner.Last()
	if last == nil {
		if due := next(s.started); now.After(next(due)) {
			return Health{Reason: fmt.Sprintf("no run has finished since the service started %s ago (runs were due at %s and %s)", round(now.Sub(s.started)), stamp(due), stamp(next(due)))}
		}
		return Health{OK: true, Reason: "waiting for the first run"}
	}
	if due := next(last.FinishedAt); now.After(next(due)) {
		return Health{Reason: fmt.Sprintf("the last run (%s) finished %s ago; runs were due since at %s and %s, more than twice the schedule's interval", last.ID, round(now.Sub(last.FinishedAt)), stamp(due), stamp(next(due)))}
	}
	return Health{OK: true, Reason: fmt.Sprintf("last run %s: %s", last.ID, last.Verdict)}
}

// stamp is a time in a health message: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

func (s *Service) healthz(w http.ResponseWriter, _ *http.Request) {
	h := s.Health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !h.OK {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "unhealthy:", h.Reason)
		return
	}
	fmt.Fprintln(w, "ok:", h.Reason)
}

// latest serves a file of the newest run that has it. When the newest run
// has no report (its inventory was invalid, or it could not finish), the
// HTML page says so first and links the last report there is.
func (s *Service) latest(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		runs, err := s.runner.Store.List(0)
		if err != nil && len(runs) == 0 {
			http.Error(w, "the history cannot be read", http.StatusInternalServerError)
			s.opts.Log.Error("history unreadable", "error", err)
			return
		}
		var with *history.Run
		for _, run := range runs {
			if slices.Contains(run.Files, name) {
				with = run
				break
			}
		}
		if len(runs) > 0 && runs[0] != with {
			if name == history.ReportHTML {
				s.problemPage(w, runs[0], with)
				return
			}
			// A program reading latest.json must not take an older
			// night's report (a pass, perhaps) for the last run's: it
			// gets no report, and where the last one is.
			msg := fmt.Sprintf("the last run, %s (verdict %s), has no report: %s", runs[0].ID, runs[0].Verdict, noReportWhy(runs[0]))
			if with != nil {
				msg += fmt.Sprintf("; the last report is /reports/%s/%s", with.ID, name)
			}
			w.Header().Set("X-Tmsdrift-Run", runs[0].ID)
			http.Error(w, msg, http.StatusNotFound)
			return
		}
		if with == nil {
			http.Error(w, "no report yet: the first run has not finished", http.StatusNotFound)
			return
		}
		s.serveFile(w, r, with.ID, name)
	}
}

// runFile serves /reports/<run-id>/<file>; the store's OpenFile checks
// the id, the file name, that the run is one it recorded and that
// neither its folder nor the file is a link, so nothing outside the
// history can be reached.
func (s *Service) runFile(w http.ResponseWriter, r *http.Request) {
	id, file := r.PathValue("id"), r.PathValue("file")
	if file == history.RunFile {
		http.NotFound(w, r)
		return
	}
	s.serveFile(w, r, id, file)
}

func (s *Service) serveFile(w http.ResponseWriter, r *http.Request, id, file string) {
	f, st, err := s.runner.Store.OpenFile(id, file)
	switch {
	case errors.Is(err, history.ErrNotInHistory):
		if history.ValidID(id) { // a link or a stranger in the history: worth a look
			s.opts.Log.Warn("report refused: not a file of the history", "error", err)
		}
		http.NotFound(w, r)
		return
	case errors.Is(err, fs.ErrNotExist):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, "the report cannot be read", http.StatusInternalServerError)
		s.opts.Log.Error("report unreadable", "run", id, "file", file, "error", err)
		return
	}
	defer f.Close()
	secureHeaders(w, file)
	w.Header().Set("X-Tmsdrift-Run", id)
	http.ServeContent(w, r, file, st.ModTime(), f)
}

// secureHeaders: reports are documents, never programs. The HTML report
// needs no script, so the page may run none, whatever a node name holds.
func secureHeaders(w http.ResponseWriter, file string) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	switch {
	case strings.HasSuffix(file, ".html"):
		h.Set("Content-Type", "text/html; charset=utf-8")
	case strings.HasSuffix(file, ".json"):
		h.Set("Content-Type", "application/json")
	case strings.HasSuffix(file, ".md"):
		h.Set("Content-Type", "text/markdown; charset=utf-8")
	}
}

var problemTemplate = template.Must(template.New("problem").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tmsdrift: {{.Run.Deployment}} — run {{.Run.ID}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}pre{white-space:pre-wrap;background:#fdecea;padding:1em}</style></head>
<body><h1>Run {{.Run.ID}}: {{if eq .Run.ExitCode 2}}the inventory is invalid{{else}}the run could not finish{{end}}</h1>
{{if .Run.Problems}}<p>Nothing was audited. Fix these problems in the inventory; the next run reads it again:</p>
<pre>{{range .Run.Problems}}{{.}}
{{end}}</pre>{{end}}
{{if .Run.Error}}<pre>{{.Run.Error}}</pre>{{end}}
{{if .Last}}<p>The last report there is: <a href="/reports/{{.Last.ID}}/report.html">run {{.Last.ID}}</a> ({{.Last.Verdict}}).</p>
{{else}}<p>There is no report yet.</p>{{end}}
</body></html>
`))

// noReportWhy is why a run has no report, in one line.
func noReportWhy(run *history.Run) string {
	switch {
	case run.Error != "":
		return strings.Join(strings.Fields(run.Error), " ")
	case len(run.Problems) > 0:
		return "the inventory is invalid"
	}
	return "no report was written"
}

// problemPage is / when the newest run has no report.
func (s *Service) problemPage(w http.ResponseWriter, run, last *history.Run) {
	secureHeaders(w, "problem.html")
	if err := problemTemplate.Execute(w, struct{ Run, Last *history.Run }{run, last}); err != nil {
		s.opts.Log.Error("page not rendered", "error", err)
	}
}
