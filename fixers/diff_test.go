package fixers

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnifiedDiffShowsFingerprintsNotKeys(t *testing.T) {
	key := strings.Repeat("9A3F", 32)
	a := []byte("\xEF\xBB\xBF<configuration>\r\n<system.web>\r\n</system.web>\r\n</configuration>\r\n")
	b := []byte("\xEF\xBB\xBF<configuration>\r\n<system.web>\r\n<machineKey validationKey='" + key + "' decryptionKey=\"AutoGenerate,IsolateApps\" />\r\n<!-- old " + key + " -->\r\n</system.web>\r\n</configuration>\r\n")
	d := unifiedDiff("x", "y", a, b)
	assert.NotContains(t, d, key)
	assert.NotContains(t, d, "\r", "line ends are not shown")
	assert.Contains(t, d, "+<machineKey validationKey='"+secretFingerprint(key)+"' decryptionKey=\"AutoGenerate,IsolateApps\" />")
	assert.Contains(t, d, "+<!-- old "+secretFingerprint(key)+" -->")
	assert.Contains(t, d, "--- x\n+++ y\n")

	created := unifiedDiff("a.txt", "a.txt", nil, []byte("one\r\ntwo\r\n"))
	assert.Equal(t, "--- a.txt\n+++ a.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n", created, "a new file has no old line")

	bin := unifiedDiff("logo.png", "logo.png", []byte("\x89PNG\x00\x01"), []byte("\x89PNG\x00\x02"))
	assert.Regexp(t, `^Binary file logo.png: 6 bytes sha256:[0-9a-f]{12} -> 6 bytes sha256:[0-9a-f]{12}\n$`, bin)
}

// TestPlansNeverShowKeyMaterial renders the plans of the labs whose
// machineKeys drift, as text and JSON, and greps them for every key value
// found in their web.configs and key files.
func TestPlansNeverShowKeyMaterial(t *testing.T) {
	hexKey := regexp.MustCompile(`(?:validationKey|decryptionKey)=["']([0-9A-Fa-f]{16,})["']`)
	for _, lab := range []string{"machinekey-drift", "post-upgrade", "nlb"} {
		t.Run(lab, func(t *testing.T) {
			inv := copyLab(t, lab)
			var secrets []string
			require.NoError(t, filepath.WalkDir(filepath.Dir(inv), func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := os.ReadFile(p)
				for _, m := range hexKey.FindAllStringSubmatch(string(data), -1) {
					secrets = append(secrets, m[1])
				}
				return err
			}))
			require.NotEmpty(t, secrets)
			a := audit(t, inv)
			p := plan(t, a, Options{})
			out := apply(t, a, p, t.TempDir(), nil)
			var text, js strings.Builder
			doc := &Document{Command: "fix", Applied: true, Plan: p, Outcome: out, Verdicts: Verify(p, audit(t, inv).results)}
			require.NoError(t, WriteText(&text, doc, 0))
			require.NoError(t, WriteJSON(&js, doc, nil))
			for _, s := range secrets {
				for _, variant := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
					assert.NotContains(t, text.String(), variant)
					assert.NotContains(t, js.String(), variant)
				}
			}
		})
	}
}
