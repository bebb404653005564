package inventory

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"host", "host", 0},
		{"adress", "address", 1},
		{"hots", "host", 1}, // neighbours swapped
		{"name", "path", 3},
		{"", "kind", 4},
		{"kind", "", 4},
		{"time.sync", "time.synced", 2},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, editDistance(tt.a, tt.b), "%q → %q", tt.a, tt.b)
	}
}

func TestClosest(t *testing.T) {
	assert.Empty(t, closest("anything", nil))

	transport := []string{"kind", "path", "host", "port", "user_env", "password_env"}
	assert.Equal(t, "host", closest("hots", transport))
	assert.Equal(t, "kind", closest("Kind", transport), "case does not count")
	assert.Equal(t, "password_env", closest("pasword_env", transport))
	assert.Empty(t, closest("name", transport), "three edits in four letters is not a typo")
	assert.Empty(t, closest("x", transport))
}

func TestParentPath(t *testing.T) {
	assert.Equal(t, "nodes[1].transport", parentPath("nodes[1].transport.kind"))
	assert.Equal(t, "nodes[1]", parentPath("nodes[1].transport"))
	assert.Equal(t, "nodes", parentPath("nodes[1]"))
	assert.Equal(t, "", parentPath("nodes"))
	assert.Equal(t, "", parentPath(""))
}
