package report

import (
	"bytes"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatsAreSortedAndEachBuilds(t *testing.T) {
	names := Formats()
	assert.True(t, sort.StringsAreSorted(names), "Formats() must be sorted for --help: %v", names)
	assert.ElementsMatch(t, []string{"html", "json", "junit", "markdown", "table"}, names)
	for _, name := range names {
		w, err := NewWriter(name, Options{})
		require.NoError(t, err, name)
		var buf bytes.Buffer
		require.NoError(t, w.Write(&buf, mixedReport()), name)
		assert.NotEmpty(t, buf.String(), name)
	}
}

func TestNewWriterRejectsUnknownFormatListingValidOnes(t *testing.T) {
	w, err := NewWriter("xml", Options{})
	require.Error(t, err)
	assert.Nil(t, w)
	assert.Contains(t, err.Error(), `"xml"`)
	for _, name := range Formats() {
		assert.Contains(t, err.Error(), name)
	}
}

func TestOptionsFailOnDefaultsToLow(t *testing.T) {
	assert.Equal(t, "low", string(Options{}.failOn()))
	assert.Equal(t, "high", string(Options{FailOn: "high"}.failOn()))
}

// failingWriter fails every write, to prove errors reach the caller.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, assert.AnError }

func TestWriteErrorsAreReturned(t *testing.T) {
	for _, name := range Formats() {
		w, err := NewWriter(name, Options{})
		require.NoError(t, err)
		err = w.Write(failingWriter{}, mixedReport())
		assert.ErrorIs(t, err, assert.AnError, name)
	}
}
