//go:build !windows

package local

import (
	"fmt"
	"runtime"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// ErrNotWindows is why the local transport cannot open here.
var ErrNotWindows = fmt.Errorf("transport local reads a Windows TMS server from the inside; this is %s (use winrm or ssh from here)", runtime.GOOS)

func open(*inventory.Inventory, *inventory.Node) (collect.Target, error) {
	return nil, ErrNotWindows
}
