package fixers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
)

// With the master's Data folder gone, every file of the standbys looks
// "extra": --prune must not copy that absence (issue 8, item 4).
func TestPruneRefusesAMasterWithoutItsFolders(t *testing.T) {
	inv := copyLab(t, "post-upgrade")
	dir := filepath.Dir(inv)
	// Judged by the 12.x profile, whose customer folders are the 11.7
	// guide's nine: all four that hold files count (TMS 15's compare
	// only CompanyLogo of them).
	raw, err := os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, []byte(strings.Replace(string(raw), "model: manual-cutover\n", "model: manual-cutover\ntms_version: '12.6'\n", 1)), 0o644))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data")))
	a := audit(t, inv)
	require.Equal(t, checks.Fail, status(a.results, "data.synced", "tms02"))

	p := plan(t, a, Options{Prune: true, Only: []string{"data.synced"}})
	assert.Empty(t, p.Changes, "nothing is deleted")
	var reasons []string
	for _, s := range p.Skipped {
		reasons = append(reasons, s.Node+": "+s.Reason)
	}
	for _, node := range []string{"tms02", "tms03"} {
		for _, folder := range []string{`wwwTMS\Data\CompanyLogo`, `wwwTMS\Data\EmailTemplate`, `wwwTMS\Data\Software`, `wwwTMS\Data\Sound`} {
			assert.Contains(t, reasons, node+": not pruned: the data master tms01 has no files in "+folder+
				" (the folder is missing, unreadable or empty there), so its "+map[string]string{
				`wwwTMS\Data\CompanyLogo`: "1 file", `wwwTMS\Data\EmailTemplate`: "2 files", `wwwTMS\Data\Software`: "2 files", `wwwTMS\Data\Sound`: "1 file"}[folder]+
				" on the node stay: restore the master's folder, or make another node data_sync.master, then fix again: "+
				map[string]string{
					`wwwTMS\Data\CompanyLogo`:   `wwwTMS\Data\CompanyLogo\acme-logo.png`,
					`wwwTMS\Data\EmailTemplate`: `wwwTMS\Data\EmailTemplate\BookingConfirmation.html, wwwTMS\Data\EmailTemplate\MeetingReminder.txt`,
					`wwwTMS\Data\Software`:      `wwwTMS\Data\Software\README.txt, wwwTMS\Data\Software\s52020tc7_3_21.pkg`,
					`wwwTMS\Data\Sound`:         `wwwTMS\Data\Sound\Ringtone-Acme.wav`,
				}[folder])
		}
	}
}

// Per folder: a folder the master still has is pruned as usual, the one
// it lost is not.
func TestPruneSkipsOnlyTheFolderTheMasterLost(t *testing.T) {
	inv := copyLab(t, "data-drift")
	dir := filepath.Dir(inv)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "nodes/tms01/fs/C/Program Files/TANDBERG/TMS/wwwTMS/Data/Sound")))
	a := audit(t, inv)
	p := plan(t, a, Options{Prune: true, Only: []string{"data.synced"}})
	var deleted []string
	for _, c := range p.Changes {
		if c.Action() == Delete {
			deleted = append(deleted, c.Node+" "+c.Object())
		}
	}
	assert.Equal(t, []string{`tms02 C:\Program Files\TANDBERG\TMS\wwwTMS\Data\Software\s52020tc7_3_20.pkg`}, deleted,
		"the extra package goes; the sound files the master lost stay")
	var sound int
	for _, s := range p.Skipped {
		if s.Rule == "data.synced" && assert.Contains(t, s.Reason, `wwwTMS\Data\Sound`) {
			sound++
		}
	}
	assert.Equal(t, 2, sound, "tms02 and tms03 keep their Sound folder")
}

// The folders judged are the TMS profile's, not only the inventory's
// default nine: on TMS 15 (lab post-upgrade, 15.13.2) Config\System is a
// compared folder the 11.7 guide does not list. A master without it must
// not have the standbys' copies pruned either.
func TestPruneRefusesAMasterWithoutAProfileFolder(t *testing.T) {
	inv := copyLab(t, "post-upgrade")
	dir := filepath.Dir(inv)
	for _, node := range []string{"tms02", "tms03"} {
		folder := filepath.Join(dir, "nodes", node, "fs/C/Program Files/TANDBERG/TMS/Config/System")
		require.NoError(t, os.MkdirAll(folder, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(folder, "settings.xml"), []byte("cfg\r\n"), 0o644))
	}
	a := audit(t, inv)
	require.Equal(t, checks.Fail, status(a.results, "data.synced", "tms02"))

	p := plan(t, a, Options{Prune: true, Only: []string{"data.synced"}})
	assert.Empty(t, p.Changes, "nothing is deleted")
	var reasons []string
	for _, s := range p.Skipped {
		reasons = append(reasons, s.Node+": "+s.Reason)
	}
	for _, node := range []string{"tms02", "tms03"} {
		assert.Contains(t, reasons, node+`: not pruned: the data master tms01 has no files in Config\System (the folder is missing, unreadable or empty there), so its 1 file on the node stay: `+
			`restore the master's folder, or make another node data_sync.master, then fix again: Config\System\settings.xml`)
	}
}
