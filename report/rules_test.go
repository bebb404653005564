package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// section cuts rule id's section out of the rules Markdown.
func section(doc, id string) string {
	_, rest, _ := strings.Cut(doc, "\n## `"+id+"`\n")
	if i := strings.Index(rest, "\n## `"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// docs/rules.md names, for each rule that follows the TMS version
// profile, the profile facts it relates to (issue 10: every fact shows in
// explain and the docs); a rule the same for every release says nothing.
func TestRulesMarkdownNamesTheVersionFacts(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteRules(&buf, "markdown", checks.Catalogue(), Options{}))
	doc := buf.String()
	assert.Contains(t, section(doc, "data.synced"), "**By TMS version.**")
	assert.Contains(t, section(doc, "data.synced"), "*Customer data folders (under the install folder)*")
	assert.Contains(t, section(doc, "nodes.count"), "*Most active TMS servers on one database*")
	assert.Contains(t, section(doc, "machinekey.match"), "*web.config files whose &lt;machineKey> must match*", "no raw tag in Markdown")
	assert.Contains(t, section(doc, "services.standby-inactive"), "*A passive node's TMS services and W3SVC*")
	assert.NotEmpty(t, section(doc, "domain.joined"))
	assert.NotContains(t, section(doc, "domain.joined"), "By TMS version")
}
