package shellword

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	assert.Equal(t, "inventories/acme.yaml", Quote("inventories/acme.yaml"))
	assert.Equal(t, "'acme tms.yaml'", Quote("acme tms.yaml"))
	assert.Equal(t, `'it'\''s.yaml'`, Quote("it's.yaml"))
	assert.Equal(t, "'$(rm -rf).yaml'", Quote("$(rm -rf).yaml"))
	assert.Equal(t, "''", Quote(""))
}
