package serve

import (
	"context"
	"slices"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/notify"
	"github.com/tmsdrift/tmsdrift/report"
)

// Notifications is the service's Notifier: the inventory's notify block,
// through package notify. A run is sent when notify.on says so, when it
// has news no policy may hold back (an upgrade, a run that could not
// finish), and on the channels whose previous notification failed (sent
// again now, whatever the policy). env reads the environment (os.Getenv).
func Notifications(env func(string) string) Notifier {
	return func(ctx context.Context, n Notice) []history.Notification {
		cfg := n.Inventory.ResolvedNotify()
		if !cfg.Configured() {
			return nil
		}
		msg := notify.Message{Deployment: n.Inventory.Deployment, Verdict: report.VerdictError,
			ReportURL: n.ReportURL, Markdown: n.Markdown, HTML: n.HTML, Notes: n.Notes, Headline: n.Headline}
		if n.Changes != nil {
			msg.Changes = *n.Changes
		}
		if n.Report != nil {
			msg.Verdict, msg.Counts = n.Report.Verdict(checks.Low), n.Report.Summary
		} else {
			msg.ReportURL, msg.Markdown, msg.HTML = "", nil, nil // no report to link or attach
		}
		if !n.Force && !notify.ShouldSend(cfg.On, msg.Changes, msg.Verdict) {
			cfg = only(cfg, n.Retry)
			if !cfg.Configured() {
				return nil
			}
		}
		var out []history.Notification
		for _, r := range notify.Send(ctx, cfg, msg, env) {
			h := history.Notification{Channel: r.Channel, Target: r.Target, OK: r.OK, Attempts: r.Attempts,
				Retry: slices.Contains(n.Retry, r.Channel)}
			if r.Err != nil {
				h.Error = r.Err.Error()
			}
			out = append(out, h)
		}
		return out
	}
}

// only keeps the channels named in channels.
func only(cfg inventory.Notify, channels []string) inventory.Notify {
	if !slices.Contains(channels, notify.ChannelEmail) {
		cfg.Email = inventory.NotifyEmail{}
	}
	if !slices.Contains(channels, notify.ChannelWebhook) {
		cfg.Webhook = inventory.NotifyWebhook{}
	}
	return cfg
}
