package tmsversion

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReadsWhatNodesAndPeopleWrite(t *testing.T) {
	for in, want := range map[string]string{
		"15.13.2":            "15.13.2",
		" 15.9 ":             "15.9",
		"v14.6.2":            "14.6.2",
		"TMS 15.9":           "15.9",
		"15.13.2.30516":      "15.13.2",
		"15.13.2 (build 77)": "15.13.2",
		"15.9-RC1":           "15.9",
		"11":                 "11",
		"12.6":               "12.6",
	} {
		v, err := Parse(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, v.String(), in)
	}
	for _, in := range []string{"", "  ", "fifteen", "15..2", "15.x", ".15", "15.", "-15", "15.+9", "1000000.1", "1e3", "TMS", "v"} {
		_, err := Parse(in)
		assert.Error(t, err, "%q", in)
	}
}

func TestCompareIgnoresMissingZeros(t *testing.T) {
	assert.Equal(t, 0, MustParse("15.9").Compare(MustParse("15.9.0")))
	assert.Equal(t, -1, MustParse("15.7.9").Compare(MustParse("15.8")))
	assert.Equal(t, 1, MustParse("15.13").Compare(MustParse("15.9")), "numbers, not text")
	assert.Equal(t, -1, MustParse("14.6.2").Compare(MustParse("15.0")))
}

// Each release family is judged by its own facts: the expectations below
// are the documents' statements (docs/tms-versions.md), not the table read
// back.
func TestLookupGivesEachReleaseItsFacts(t *testing.T) {
	p, err := Lookup("11.7")
	require.NoError(t, err)
	assert.Equal(t, "11.x", p.Family)
	assert.Len(t, p.DataDirs.Value, 9)
	assert.Contains(t, p.DataDirs.Value, `wwwTMS\Data\Software`)
	assert.Equal(t, `wwwTMS\Data\Software`, p.SoftwareDir.Value)
	assert.Equal(t, []WebConfig{{Path: "web.config", KeyRequired: true}}, p.WebConfigs.Value)
	assert.Zero(t, p.MaxActive.Value, "the 11.7 guide sets no limit")
	assert.Equal(t, ServiceState{StartType: "Manual", State: "Stopped"}, p.Passive.Value)
	assert.False(t, p.Passive.Unsettled)

	p, err = Lookup("12.6.3")
	require.NoError(t, err)
	assert.Zero(t, p.MaxActive.Value, "12.x still follows the 11.7 guide")

	p, err = Lookup("13.1")
	require.NoError(t, err)
	assert.Zero(t, p.MaxActive.Value)
	p, err = Lookup("13.2.2")
	require.NoError(t, err)
	assert.Equal(t, 2, p.MaxActive.Value, "D14570.04: no more than two servers from 13.2")
	assert.Equal(t, []string{"13.2"}, p.Releases)
	assert.True(t, p.Passive.Unsettled)

	p, err = Lookup("14.6.2")
	require.NoError(t, err)
	assert.Equal(t, 2, p.MaxActive.Value)
	assert.Contains(t, p.DataDirs.Value, `wwwTMS\Data\Sound`)
	assert.Contains(t, p.DataDirs.Value, `Config\System`)
	assert.Len(t, p.WebConfigs.Value, 1)

	p, err = Lookup("15.7")
	require.NoError(t, err)
	assert.Len(t, p.WebConfigs.Value, 1, "the Public application's web.config comes with 15.8")
	assert.Equal(t, `wwwTMS\Public\Data\SystemSoftware`, p.SoftwareDir.Value)
	assert.Equal(t, []string{`Config\System`, `Data\GenericEndpoint`, `Data\SystemTemplate`,
		`wwwTMS\Data\CompanyLogo`, `wwwTMS\Data\ExternalSourceFiles`, `wwwTMS\Public\Data\SystemSoftware`}, p.DataDirs.Value)
	assert.Contains(t, p.Services.Value, "TMSPLCMDirectoryService")
	assert.Contains(t, p.Services.Value, "W3SVC")

	for _, v := range []string{"15.8", "15.9", "15.13.2"} {
		p, err = Lookup(v)
		require.NoError(t, err)
		assert.Equal(t, []WebConfig{{Path: "web.config", KeyRequired: true}, {Path: `Public\web.config`}}, p.WebConfigs.Value, v)
		assert.True(t, p.WebConfigs.Unsettled, "whether Public needs a key is unsettled")
		assert.Equal(t, "TMS 15.x profile (with 15.8)", p.Name())
		assert.Equal(t, v, p.Version.String())
	}
}

func TestLookupRefusesWhatItCannotKnow(t *testing.T) {
	for _, v := range []string{"10.0", "11.4", "16.0", "9", "15", "13"} {
		_, err := Lookup(v)
		require.Error(t, err, v)
		assert.True(t, errors.Is(err, ErrNoProfile), v)
	}
	_, err := Lookup("15")
	assert.ErrorContains(t, err, "give the minor version too")
	_, err = Lookup("11.4")
	assert.ErrorContains(t, err, "11.5 and later")
	p, err := Lookup("11")
	require.NoError(t, err, "no point release of 11.x changes a fact")
	assert.Equal(t, "11.x", p.Family)
	_, err = Lookup("latest")
	assert.ErrorContains(t, err, "not a TMS version")
}

func TestProfilesDoNotShareTheTable(t *testing.T) {
	p, err := Lookup("15.9")
	require.NoError(t, err)
	p.DataDirs.Value[0] = "changed"
	p.WebConfigs.Value[1].KeyRequired = true
	q, err := Lookup("15.9")
	require.NoError(t, err)
	assert.Equal(t, `Config\System`, q.DataDirs.Value[0])
	assert.False(t, q.WebConfigs.Value[1].KeyRequired)
}

// Every fact of every release says where it comes from (brief: facts about
// TMS carry their source or are marked as an assumption).
func TestEveryFactHasASource(t *testing.T) {
	for _, r := range Releases() {
		for _, name := range FactNames {
			value, src, unsettled, ok := r.Profile.Describe(name)
			require.True(t, ok, name)
			assert.NotEmpty(t, value, "%s %s", r.Name, name)
			if src.Assumption {
				assert.NotEmpty(t, src.Note, "%s %s: an assumption says why", r.Name, name)
				assert.True(t, strings.HasPrefix(src.String(), "tmsdrift assumption"), src.String())
			} else {
				assert.NotEmpty(t, src.Doc, "%s %s: a document", r.Name, name)
				// TAC technotes are short and unnumbered: the note says
				// which part; every guide names its section.
				if !strings.HasPrefix(src.Doc, "Cisco TAC document") {
					assert.NotEmpty(t, src.Section, "%s %s: and its section", r.Name, name)
				} else {
					assert.NotEmpty(t, src.Note, "%s %s: and which part", r.Name, name)
				}
			}
			if unsettled {
				assert.NotEmpty(t, src.Note, "%s %s: an unsettled fact says what is open", r.Name, name)
			}
		}
	}
}

func TestReleasesListFamiliesAndPointReleases(t *testing.T) {
	var names []string
	for _, r := range Releases() {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"11.x", "12.x", "13.x", "13.2", "14.x", "15.x", "15.8"}, names)
	for _, r := range Releases() {
		if r.Name == "15.8" {
			assert.Equal(t, []string{"web_configs"}, r.Changed)
		}
	}
}

func TestChooseTakesTheInventoryFirstThenTheActiveNode(t *testing.T) {
	c := Choose("12.6", []Reported{{Node: "tms01", Version: "15.13.2", Active: true}})
	require.NoError(t, c.Err)
	assert.Equal(t, "12.x", c.Profile.Family, "the inventory's value always wins")
	assert.Equal(t, "inventory tms_version 12.6", c.From)

	c = Choose("", []Reported{
		{Node: "tms01", Version: "15.7", Active: true},
		{Node: "tms02", Version: "15.9"},
		{Node: "tms03", Version: "15.7.1"},
		{Node: "tms04", Version: ""},
	})
	require.NoError(t, c.Err)
	assert.Equal(t, "15.7", c.Profile.Version.String())
	assert.Equal(t, "facts of tms01, tms03", c.From)
	assert.Contains(t, c.Note, "tms02 on 15.9")

	c = Choose("", []Reported{{Node: "tms01", Version: "15.9"}, {Node: "tms02", Version: "15.13.2", Active: true}})
	require.NoError(t, c.Err)
	assert.Equal(t, "facts of tms01, tms02", c.From, "one profile for both: no note")
	assert.Empty(t, c.Note)

	c = Choose("", []Reported{{Node: "tms01", Version: "17.0", Active: true}, {Node: "tms02", Version: "14.6"}})
	require.NoError(t, c.Err)
	assert.Equal(t, "14.x", c.Profile.Family)
	assert.Contains(t, c.Note, "no profile for tms01")

	c = Choose("", []Reported{{Node: "tms01"}, {Node: "tms02", Version: "garbage"}})
	assert.Nil(t, c.Profile)
	assert.ErrorContains(t, c.Err, "set tms_version")
	assert.ErrorContains(t, c.Err, "tms02")

	c = Choose("", nil)
	assert.ErrorContains(t, c.Err, "no node reports its TMS version")

	c = Choose("16.1", nil)
	assert.ErrorContains(t, c.Err, "inventory tms_version")
}

func TestWriteMarkdownShowsEverySourceOnce(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b))
	md := b.String()
	for _, name := range FactNames {
		assert.Contains(t, md, "### "+mdEscape(FactTitle(name)))
	}
	assert.Contains(t, md, `| 15.8 | wwwTMS\web.config (key required), wwwTMS\Public\web.config`)
	assert.Contains(t, md, "| 13.2 | 2 |")
	assert.Contains(t, md, "tmsdrift assumption")
	assert.NotContains(t, md, "| 15.8 | 2 |", "a point release shows only what it changed")
}

func TestWriteTextForOneVersion(t *testing.T) {
	p, err := Lookup("15.9")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, []string{"web_configs"}, p))
	assert.Contains(t, b.String(), `Public\web.config`)
	assert.Contains(t, b.String(), "Source: ")
	assert.NotContains(t, b.String(), "11.x")
}
