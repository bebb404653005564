package checks

import (
	"fmt"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Latency rule: under max_latency_ms (10 ms by default, the contract's
// figure) between every TMS server and the SQL Server. The section it
// cites (guide: Architecture Requirements: latency) was not among the
// pages read: its citation says "not re-read" (tmsversion's citations,
// docs/tms-versions.md). Each node's own samples
// (facts.json db_rtt_ms) are judged per node; the auditor's own measure
// (db.json rtt_ms, or the live probe) gives the deployment result, which
// also says how the auditor's connection was protected (db.json
// connection): a report must show a connection in clear or a certificate
// not verified (trust_server_certificate).

func evalDBLatency(d *facts.Deployment) []Result {
	max := d.Inventory.Database.MaxLatencyMS
	want := "median round trip < " + ms(max)
	// impossible is why the samples (or the connection time) were dropped
	// as impossible when the facts were read; "" when they were not.
	judge := func(samples []float64, who string, connectMS *float64, impossible string, conn *facts.DBConnection) Result {
		if impossible != "" {
			return errored(want, "%s", impossible)
		}
		if len(samples) == 0 {
			return errored(want, "no round-trip samples %s", who)
		}
		m := median(samples)
		obs := fmt.Sprintf("median %s, p95 %s (%d samples", ms(m), ms(p95(samples)), len(samples))
		if connectMS != nil {
			obs += "; connection set-up " + ms(*connectMS)
		}
		if conn != nil {
			obs += "; " + conn.Summary()
		}
		obs += ")"
		if m >= max {
			return failed(want, obs, "the database is too far away "+who)
		}
		return passed(want, obs)
	}
	out := perNode(d, func(d *facts.Deployment, n *facts.Node) (Result, bool) {
		f, err := nodeFacts(n)
		if err != nil {
			return errored(want, "%v", err), true
		}
		impossible := ""
		if f.Impossible["db_rtt_ms"] != "" {
			impossible = f.Lacks("db_rtt_ms")
		}
		return judge(f.DBRTTMS, "from this node (facts.json db_rtt_ms)", nil, impossible, nil), true
	})
	f, err := dbFacts(d)
	if err != nil {
		return append(out, deployment(errored(want, "%v", err))...)
	}
	// A connection time that cannot be true puts the samples timed by the
	// same clock in doubt too.
	impossible := ""
	for _, key := range []string{"rtt_ms", "connect_ms"} {
		if f.Unknown[key] != "" {
			impossible = d.DB.Lacks(key)
			break
		}
	}
	return append(out, deployment(judge(f.RTTMS, "from the auditor (database rtt_ms)", f.ConnectMS, impossible, f.Connection))...)
}
