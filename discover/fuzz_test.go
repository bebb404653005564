package discover

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/collect/psscript"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/fixtures/fakenode"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// labOutputs are the discover probe's output on every node of the labs,
// as the stand-in PowerShell prints it.
func labOutputs(t testing.TB) [][]byte {
	dirs, err := filepath.Glob(filepath.Join("..", "fixtures", "labs", "*", "nodes", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	var out [][]byte
	for _, d := range dirs {
		doc := fakenode.New(d).Discover(context.Background(), psscript.DefaultDiscoverParams(`C:\Program Files\TANDBERG\TMS`, `C:\Program Files\TANDBERG\TMS\wwwTMS`))
		b, err := psscript.WriteDiscover(doc)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

// FuzzParseNode: what a node's probe prints is outside input. Unframing
// and parsing never panic; what parses has no secret-looking value left
// in clear, and suggestions and the report can be made from it.
func FuzzParseNode(f *testing.F) {
	for _, o := range labOutputs(f) {
		f.Add(o)
	}
	f.Add([]byte(psscript.DiscoverHeader + "\r\neyJzY2hlbWEiOiJ0bXNkcmlmdC9kaXNjb3Zlci92MSJ9\r\n#end\r\n"))
	f.Add([]byte("banner\n" + psscript.DiscoverHeader + "\n#end\n"))
	f.Add([]byte(psscript.DiscoverHeader + "\n!!!\n#end\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		raw, err := psscript.ParseDiscoverOutput(out)
		if err != nil {
			return
		}
		doc, err := ParseNode(raw)
		if err != nil {
			return
		}
		for _, v := range doc.Registry {
			if v.Value != "" && LooksSecret(v.Name) {
				t.Fatalf("secret-looking %q kept its value", v.Name)
			}
		}
		inv := &inventory.Inventory{Database: inventory.Database{Server: `sql01\TMS`, Name: "tmsng"}}
		rep := &NodeReport{Node: "n", Transport: "winrm", Doc: doc, Suggestion: Suggest(doc, inv)}
		var b strings.Builder
		if err := rep.Write(&b); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\x1b\x07") {
			t.Fatal("a control character reached the report")
		}
	})
}

func TestParseNodeRefusesWhatIsNotTheFormat(t *testing.T) {
	for _, raw := range []string{
		`{"schema":"other"}`,
		`{"schema":"tmsdrift/discover/v1","extra":1}`,
		`{"schema":"tmsdrift/discover/v1"} {}`,
		`{"schema":"tmsdrift/discover/v1","registry":[{"key":"k","name":"n","type":"REG_SZ","sha256":"zz"}]}`,
		`[]`,
	} {
		_, err := ParseNode([]byte(raw))
		require.Error(t, err, raw)
	}
	doc, err := ParseNode([]byte(`{"schema":"tmsdrift/discover/v1","registry":[{"key":"HKLM\\SOFTWARE\\Cisco","name":"AdminPassword","type":"REG_SZ","value":"hunter2"},{"key":"k","name":"Blob","type":"REG_BINARY","value":"0102"}]}`))
	require.NoError(t, err)
	require.Empty(t, doc.Registry[0].Value, "a node that sent a secret in clear: tmsdrift hashes it anyway")
	require.Len(t, doc.Registry[0].SHA256, 64)
	require.Empty(t, doc.Registry[1].Value)
}

// FuzzDatabaseReport: the rows a search reads are outside input. Ranking
// and printing them never panic, never print a control character, and
// the settings block stays parseable single-quoted YAML.
func FuzzDatabaseReport(f *testing.F) {
	f.Add("TmsServerIpV4Address", "10.10.0.11", "SmtpPassword", "s3cr3t", "dbo", "tblServerSettings")
	f.Add("a'b", "\x1b[2J", "x]y", "", "s]", "t'")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, schema, table string) {
		d := &sqlserver.Discovery{Server: "s", Database: "tmsng",
			Hits: []sqlserver.Hit{{Column: sqlserver.Column{Schema: schema, Table: table, Name: "V", Type: "nvarchar", MaxChars: -1}, Value: v1, Rows: 1,
				Siblings: []sqlserver.Sibling{{Column: sqlserver.Column{Schema: schema, Table: table, Name: "K"}, Values: []sql.NullString{{String: n1, Valid: true}}}}}},
			Pairs: []sqlserver.Pairs{{Schema: schema, Table: table, NameColumn: "K", ValueColumn: "V", Rows: rows(n1, v1, n2, v2)}}}
		v := Value{Key: "ipv4_local", Value: v1}
		rep := &DatabaseReport{Discovery: d, Values: []Value{v}, Candidates: Candidates(d, []Value{v}, nil), Options: sqlserver.DiscoverOptions{Top: 5}}
		var b strings.Builder
		if err := rep.Write(&b); err != nil {
			t.Fatal(err)
		}
		for _, r := range b.String() {
			if r != '\n' && (r < 0x20 || r == 0x7f) {
				t.Fatalf("control character %q printed", r)
			}
		}
		if LooksSecret(n2) && v2 != "" && len(v2) > 3 && strings.Contains(b.String(), v2) && !strings.Contains(n1+v1+schema+table+n2, v2) {
			t.Fatalf("the value of secret-looking %q printed", n2)
		}
	})
}
