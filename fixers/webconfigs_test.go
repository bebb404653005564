package fixers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const publicWebConfig = "fs/C/Program Files/TANDBERG/TMS/wwwTMS/Public/web.config"

// The Public web.config of TMS 15.8+: restored where it lost its key, a
// rotated key replaced, a copy missing on a node listed for a person.
func TestOtherWebConfigsArePlanned(t *testing.T) {
	inv := copyLab(t, "tms15-public-key")
	dir := filepath.Dir(inv)
	require.NoError(t, os.Remove(filepath.Join(dir, "nodes/tms03", publicWebConfig)))
	p := plan(t, audit(t, inv), Options{})

	var paths []string
	for _, c := range p.Changes {
		paths = append(paths, c.Node+" "+c.Object())
	}
	assert.Equal(t, []string{`tms02 C:\Program Files\TANDBERG\TMS\wwwTMS\Public\web.config`}, paths)
	assert.Contains(t, p.Changes[0].Summary, `add the approved <machineKey>`)
	assert.Contains(t, p.Changes[0].Summary, `Public\web.config`)
	var missing bool
	for _, s := range p.Skipped {
		missing = missing || s.Node == "tms03" && strings.Contains(s.Reason, `Public\web.config: missing on this node`)
	}
	assert.True(t, missing, "%v", p.Skipped)
}
