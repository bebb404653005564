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
// copy missing on a node listed for a person (a rotated key and a file
// required by the inventory: the tests below).
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

// publicFile is a node's Public web.config in a copied lab.
func publicFile(dir, node string) string {
	return filepath.Join(dir, "nodes", node, publicWebConfig)
}

// The fixer restores the approved key wherever a listed web.config
// carries another one (issue 10: "where it differs"): tms03's rotated
// key is replaced, and the file comes out byte for byte as the copies
// that carry the approved key.
func TestOtherWebConfigWithAnotherKeyIsReplaced(t *testing.T) {
	inv := copyLab(t, "tms15-public-key")
	dir := filepath.Dir(inv)
	good, err := os.ReadFile(publicFile(dir, "tms01"))
	require.NoError(t, err)
	rotated := strings.Replace(string(good), `validationKey="9`, `validationKey="A`, 1)
	require.NotEqual(t, string(good), rotated)
	require.NoError(t, os.WriteFile(publicFile(dir, "tms03"), []byte(rotated), 0o644))

	a := audit(t, inv)
	require.Equal(t, "fail", string(status(a.results, "machinekey.match", "tms03")))
	p := plan(t, a, Options{})
	byNode := map[string]Change{}
	for _, c := range p.Changes {
		byNode[c.Node] = c
	}
	require.Contains(t, byNode, "tms03", "%v", p.Changes)
	c := byNode["tms03"]
	assert.Contains(t, c.Summary, `replace the <machineKey>`)
	assert.Contains(t, c.Summary, `Public\web.config`)
	op, ok := c.Op.(*FileOp)
	require.True(t, ok, "%T", c.Op)
	assert.Equal(t, string(good), string(op.Data), "the rotated file becomes the approved one byte for byte")
	assert.NotContains(t, c.Summary+c.Detail, "94662FC64FCD", "no key material in the plan")
}

// A web.config the inventory's machine_key.required_in lists must carry
// the key even where no node's copy does (issue 10: "where it is
// required"); without required_in nothing there is changed.
func TestOtherWebConfigRequiredByTheInventoryGetsTheKey(t *testing.T) {
	inv := copyLab(t, "tms15-public-key")
	dir := filepath.Dir(inv)
	stripped, err := os.ReadFile(publicFile(dir, "tms02"))
	require.NoError(t, err)
	good, err := os.ReadFile(publicFile(dir, "tms01"))
	require.NoError(t, err)
	for _, n := range []string{"tms01", "tms03"} {
		require.NoError(t, os.WriteFile(publicFile(dir, n), stripped, 0o644))
	}

	a := audit(t, inv)
	assert.Empty(t, plan(t, a, Options{}).Changes, "no node carries a key there and none is required (the 15.x profile leaves it unsettled)")

	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	text := strings.Replace(string(raw), "machine_key:\n", "machine_key:\n  required_in: ['Public\\web.config']\n", 1)
	require.NotEqual(t, string(raw), text)
	require.NoError(t, os.WriteFile(inv, []byte(text), 0o644))

	a = audit(t, inv)
	p := plan(t, a, Options{})
	var nodes []string
	for _, c := range p.Changes {
		nodes = append(nodes, c.Node)
		assert.Contains(t, c.Summary, `add the approved <machineKey>`)
		op, ok := c.Op.(*FileOp)
		require.True(t, ok, "%T", c.Op)
		assert.True(t, strings.HasSuffix(op.Path, `wwwTMS\Public\web.config`), op.Path)
		assert.Equal(t, string(good), string(op.Data), "%s: the key spliced in byte for byte", c.Node)
	}
	assert.ElementsMatch(t, []string{"tms01", "tms02", "tms03"}, nodes)
}
