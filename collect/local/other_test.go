//go:build !windows

package local

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// TestOpenOutsideWindows: the transport says it needs Windows.
func TestOpenOutsideWindows(t *testing.T) {
	_, err := Open(&inventory.Inventory{}, &inventory.Node{Name: "tms01"})
	assert.ErrorIs(t, err, ErrNotWindows)
	assert.ErrorContains(t, err, "Windows")
}
