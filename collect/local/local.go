// Package local is the `local` transport: tmsdrift running on the TMS node
// itself (by hand, or as a scheduled task writing snapshots to a share)
// reads the node's facts through Windows APIs (golang.org/x/sys/windows)
// instead of PowerShell: computer name and domain membership, the service
// control manager (opened with read-only rights to read), the registry,
// IIS's configuration, an SNTP query to the Windows Time source, TCP round
// trips to the SQL Server, and the files themselves.
//
// The Windows code is in *_windows.go files; on other systems Open
// reports that the transport needs Windows, and the portable parts (the
// SQL round trip, the time query, reading IIS's configuration, choosing the
// TMS facts from what was found) build and are tested everywhere.
package local

import (
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Open returns the machine tmsdrift runs on as node n of inv. Its paths,
// data folders and SQL Server come from inv, as for the remote collector.
func Open(inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	return open(inv, n)
}

// RTTSamples is how many TCP round trips to the SQL Server are timed.
const RTTSamples = 3
