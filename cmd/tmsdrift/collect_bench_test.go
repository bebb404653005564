package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/fixtures/wsman"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// BenchmarkCollectSlowNodes collects 1 and 20 WinRM nodes whose every
// answer comes 200 ms late (a WinRM call is ~6 round trips: about 1.2 s a
// node). With --parallel 20 the twenty take about the time of one; with
// the default 8, about three times (three waves).
func BenchmarkCollectSlowNodes(b *testing.B) {
	b.Setenv(userVar, liveUser)
	b.Setenv(passwordVar, livePassword)
	for _, c := range []struct{ nodes, parallel int }{{1, 1}, {20, 20}, {20, 8}} {
		b.Run(fmt.Sprintf("nodes=%d/parallel=%d", c.nodes, c.parallel), func(b *testing.B) {
			inv := slowFleet(b, c.nodes, 200*time.Millisecond)
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				d, err := collect.Gather(ctx, inv, collect.Options{Parallel: c.parallel, Open: transports.Open})
				cancel()
				require.NoError(b, err)
				for _, n := range d.Nodes {
					require.NoError(b, n.FactsErr)
				}
			}
		})
	}
}

// slowFleet is an nlb inventory of n pool nodes, each a WS-Management test
// server (Basic, HTTPS) with the given latency answering from lab node
// nlb/tmsnlb01.
func slowFleet(b *testing.B, n int, latency time.Duration) *inventory.Inventory {
	labDir := filepath.Join(fixtures.LabsDir(), "nlb")
	lab, err := inventory.Load(filepath.Join(labDir, "inventory.yaml"), inventory.Options{})
	require.NoError(b, err)
	src := lab.Resolve(lab.Nodes[0].Transport.Path)
	inv := &inventory.Inventory{Deployment: "fleet", Model: inventory.NLB, Domain: lab.Domain,
		Database: inventory.Database{Snapshot: filepath.Join(labDir, "db.json"), Server: lab.Database.Server},
		File:     filepath.Join(b.TempDir(), "inventory.yaml")}
	for i := range n {
		srv, err := wsman.Start(wsman.Options{User: liveUser, Password: livePassword, Node: fakenode.New(src), Latency: latency})
		require.NoError(b, err)
		b.Cleanup(srv.Close)
		ca := filepath.Join(filepath.Dir(inv.File), fmt.Sprintf("ca%d.pem", i))
		require.NoError(b, os.WriteFile(ca, srv.CertPEM, 0o644))
		inv.Nodes = append(inv.Nodes, inventory.Node{Name: fmt.Sprintf("tms%02d", i), Role: inventory.Pool,
			Transport: inventory.Transport{Kind: "winrm", Host: srv.Host, Port: srv.Port, Auth: inventory.AuthBasic,
				CAFile: ca, UserEnv: userVar, PasswordEnv: passwordVar}})
	}
	inv.ApplyDefaults()
	require.NoError(b, inv.Validate(inventory.Options{}))
	return inv
}
