package remote

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/fixtures"
)

const clixml = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">Get-CimInstance : Access is denied. _x000D__x000A_</S><S S=\"Error\">At line:1 char:1_x000D__x000A_</S><S S=\"Progress\">ignored</S></Objs>"

func TestCleanStderr(t *testing.T) {
	assert.Equal(t, "Get-CimInstance : Access is denied. At line:1 char:1", cleanStderr([]byte(clixml)))
	assert.Equal(t, "not found: C:\\x", cleanStderr([]byte("not found: C:\\x\r\n")))
	long := strings.Repeat("x", 1000)
	assert.Len(t, cleanStderr([]byte(long)), 403)
}

func TestDecodeLines(t *testing.T) {
	got, err := decodeLines([]byte("aGVs\r\nbG8=\r\n\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
	_, err = decodeLines([]byte("not base64!\r\n"))
	assert.Error(t, err)
}

// FuzzNodeText: what a node writes to standard error (CLIXML or plain) and
// the base64 lines of a file read never panic the parsers; a message is
// one line, bounded. Seeded with the CLIXML sample and the labs' web.config
// files as the read script prints them.
func FuzzNodeText(f *testing.F) {
	f.Add([]byte(clixml))
	for _, node := range []string{"tms01", "tms02"} {
		wc, err := os.ReadFile(filepath.Join(fixtures.LabsDir(), "manual-cutover", "nodes", node,
			"fs", "C", "Program Files", "TANDBERG", "TMS", "wwwTMS", "web.config"))
		if err == nil {
			f.Add([]byte(base64.StdEncoding.EncodeToString(wc) + "\r\n"))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg := cleanStderr(data)
		require.NotContains(t, msg, "\n")
		require.LessOrEqual(t, utf8.RuneCountInString(msg), 403+len(msg))
		require.LessOrEqual(t, len(msg), 403)
		_, _ = decodeLines(data)
	})
}
