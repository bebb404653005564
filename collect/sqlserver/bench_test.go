package sqlserver_test

import (
	"context"
	"testing"

	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixtures/tdsserver"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// BenchmarkGather is one live probe (login, 20 round trips, five
// questions) against the TDS test server on loopback: the probe's own cost
// without a network.
func BenchmarkGather(b *testing.B) {
	c, err := tdsserver.LoadCatalogue("../../fixtures/labs/offsite/db.yaml")
	if err != nil {
		b.Fatal(err)
	}
	c.LatencyMS = 0
	s, err := tdsserver.Start(tdsserver.Config{Catalogue: c, User: user, Password: password})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Setenv(env, s.DSN(user, password, "tmsng"))
	inv := liveInventory(inventory.Offsite)
	inv.Database.LatencySamples = 20
	b.ResetTimer()
	for range b.N {
		if db := sqlserver.Gather(context.Background(), inv); db.Err != nil {
			b.Fatal(db.Err)
		}
	}
}
