package winpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`C:\Program Files\TANDBERG\TMS\web.config`: {"C", "Program Files", "TANDBERG", "TMS", "web.config"},
		`c:/program files/tms/`:                    {"C", "program files", "tms"},
		`C:\TMS\/Data\.\x`:                         {"C", "TMS", "Data", "x"},
		`D:\`:                                      {"D"},
		`C:/`:                                      {"C"},
		`\\?\C:\TMS\web.config`:                    {"C", "TMS", "web.config"},
		` C:\TMS `:                                 {"C", "TMS"},
	} {
		drive, names, err := Split(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, append([]string{drive}, names...), in)
	}
	for in, msg := range map[string]string{
		`C:`:                      "relative to the current folder of drive C:",
		`C:foo\bar`:               `write C:\foo\bar`,
		`\\files\tms\web.config`:  "network (UNC) path",
		`//files/tms/web.config`:  "network (UNC) path",
		`\\?\UNC\files\tms\x`:     "network (UNC) path",
		`\TMS\web.config`:         "not an absolute drive path",
		`web.config`:              "not an absolute drive path",
		``:                        "not an absolute drive path",
		`1:\x`:                    "not an absolute drive path",
		`C:\TMS\..\..\etc\passwd`: ".. is not allowed",
	} {
		_, _, err := Split(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg, in)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{`C:\Program Files\TANDBERG\TMS\wwwTMS\web.config`, `C:`, `C:foo`, `\\srv\share`, `c:/a/../b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		drive, names, err := Split(p)
		if err != nil {
			return
		}
		if len(drive) != 1 || drive[0] < 'A' || drive[0] > 'Z' {
			t.Fatalf("drive %q from %q", drive, p)
		}
		for _, n := range names {
			if n == "" || n == "." || n == ".." {
				t.Fatalf("component %q from %q", n, p)
			}
		}
	})
}
