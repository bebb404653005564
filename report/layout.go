package report

import (
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

// DefaultWidth is the width of the human formats when the output is not a
// terminal and COLUMNS does not say otherwise: wide enough for the results
// table without much wrapping, narrow enough for a CI log or an e-mail.
const DefaultWidth = 100

// minWidth is the narrowest layout attempted: below it a six-column table
// cannot be read however it is wrapped, so lines are let run longer.
const minWidth = 40

// maxProseWidth caps the text below a table: on a 200-column terminal the
// table may use every column, but a paragraph that long is hard to read.
const maxProseWidth = 100

// Width is how many columns the human formats may fill when writing to f:
// the size of the terminal when f is one, else the COLUMNS environment
// variable when it holds a positive number (shells set it for their
// terminal, and a user can set it for a pipe or a file), else
// DefaultWidth. f may be nil (output to a file). The command line calls
// it once and passes the answer as Options.Width.
func Width(f *os.File) int {
	size := func() (int, bool) {
		if f == nil || !term.IsTerminal(int(f.Fd())) {
			return 0, false
		}
		w, _, err := term.GetSize(int(f.Fd()))
		return w, err == nil && w > 0
	}
	return pickWidth(size, os.Getenv)
}

// pickWidth is Width's decision, apart from the terminal.
func pickWidth(terminal func() (int, bool), getenv func(string) string) int {
	if w, ok := terminal(); ok {
		return w
	}
	if w, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && w > 0 {
		return w
	}
	return DefaultWidth
}

// width is Options.Width with the default filled in and the floor applied.
func (o Options) width() int {
	w := o.Width
	if w <= 0 {
		w = DefaultWidth
	}
	return max(w, minWidth)
}

// proseWidth is where text outside tables wraps.
func (o Options) proseWidth() int { return min(o.width(), maxProseWidth) }

// breakAfter are the characters after which a word that does not fit may
// be broken before resorting to cutting it anywhere: rule ids
// (services.standby-inactive), host names (tms01.acme.local), paths,
// key=value pairs, lists.
const breakAfter = `.-_/\,;:=+`

// wrapText breaks text (which may hold newlines) into lines of at most
// width display columns. Lines break at spaces; a word wider than width
// breaks after one of breakAfter where it can, and is cut only where no
// such place fits.
func wrapText(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, wrapWords(strings.Fields(para), width, width, true)...)
	}
	return lines
}

// wrapWords lays words out in lines of at most width columns (the first
// line first columns), one space between them. A word wider than the line
// is cut (after punctuation where it can) when cut is set; else it keeps a
// line of its own and overflows.
func wrapWords(words []string, first, width int, cut bool) []string {
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line, lw := "", 0
	for _, word := range words {
		width := max(width, 1)
		if len(lines) == 0 {
			width = max(first, 1)
		}
		ww := runewidth.StringWidth(word)
		switch {
		case lw == 0 && ww <= width:
			line, lw = word, ww
		case lw > 0 && lw+1+ww <= width:
			line, lw = line+" "+word, lw+1+ww
		default:
			if lw > 0 {
				lines = append(lines, line)
			}
			pieces := []string{word}
			if cut {
				pieces = splitWord(word, width)
			}
			lines = append(lines, pieces[:len(pieces)-1]...)
			line = pieces[len(pieces)-1]
			lw = runewidth.StringWidth(line)
		}
	}
	return append(lines, line)
}

// TextWidth is where the human outputs outside tables wrap when width
// columns are there (Width's answer; 0 for DefaultWidth): the width, at
// least minWidth. Unlike the paragraphs under the audit's table, these
// lines are not capped: a plan is read item by item, and a wide terminal
// (or a wide COLUMNS) keeps each item on one line.
func TextWidth(width int) int { return Options{Width: width}.width() }

// Wrap breaks text into lines of at most width display columns for the
// human outputs outside tables (fix plans, runbooks, rollback, history,
// diff): at spaces, each newline starting a new line. Words are never
// cut: in this text a word wider than the width is a path, an address, a
// fingerprint or a command that a reader copies, so it keeps a line of its
// own and overflows. keep names substrings of text that must not be
// broken at their spaces either (a Windows path under "Program Files", a
// command line): each stays whole with what is attached to it.
//
// Text from outside is sanitised first (Sanitize), so the width is
// counted on what the terminal shows.
func Wrap(text string, width int, keep ...string) []string {
	text, keep = sanitizeAll(text, keep)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, wrapWords(keptWords(para, keep), width, width, false)...)
	}
	return lines
}

// WrapIndent is Wrap for one item of a list: first goes before its first
// line, rest before every other one (the item's indentation, so that
// continuation lines stand under its text), and every line ends in a
// newline. The width counts the indentation. Text that fits on one line is
// written as it is, so its spacing (aligned columns) is kept. Like Wrap, it
// sanitises text first.
func WrapIndent(first, rest, text string, width int, keep ...string) string {
	text, keep = sanitizeAll(text, keep)
	fw := runewidth.StringWidth(first)
	if !strings.Contains(text, "\n") && fw+runewidth.StringWidth(text) <= width {
		return first + text + "\n"
	}
	var b strings.Builder
	fa, ra := width-fw, width-runewidth.StringWidth(rest)
	for i, p := range strings.Split(text, "\n") {
		lead, avail := rest, ra
		if i == 0 {
			lead, avail = first, fa
		}
		for _, line := range wrapWords(keptWords(p, keep), avail, ra, false) {
			b.WriteString(strings.TrimRight(lead+line, " ") + "\n")
			lead = rest
		}
	}
	return b.String()
}

// sanitizeAll sanitises text and the substrings to keep alike, so that
// each kept one is still found in the text.
func sanitizeAll(text string, keep []string) (string, []string) {
	out := make([]string, len(keep))
	for i, k := range keep {
		out[i] = Sanitize(k)
	}
	return Sanitize(text), out
}

// keptWords splits text at the spaces that are not inside an occurrence
// of one of keep.
func keptWords(text string, keep []string) []string {
	protected := make([]bool, len(text))
	for _, k := range keep {
		if k == "" || !strings.ContainsAny(k, " \t") {
			continue
		}
		for from := 0; ; {
			i := strings.Index(text[from:], k)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(k); j++ {
				protected[j] = true
			}
			from += i + len(k)
		}
	}
	var words []string
	start := -1
	for i, r := range text {
		space := (r == ' ' || r == '\t') && !protected[i]
		switch {
		case space && start >= 0:
			words = append(words, text[start:i])
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	if start >= 0 {
		words = append(words, text[start:])
	}
	return words
}

// splitWord cuts a word into pieces of at most width columns: after the
// last break character that fits, else at width.
func splitWord(word string, width int) []string {
	var pieces []string
	for runewidth.StringWidth(word) > width {
		cut, w, lastBreak := 0, 0, 0
		for i, r := range word {
			rw := runewidth.RuneWidth(r)
			if w+rw > width {
				break
			}
			w += rw
			cut = i + len(string(r))
			if strings.ContainsRune(breakAfter, r) {
				lastBreak = cut
			}
		}
		if lastBreak > 0 {
			cut = lastBreak
		}
		if cut == 0 { // a rune wider than width: it gets a line of its own
			_, cut = utf8.DecodeRuneInString(word)
		}
		pieces = append(pieces, word[:cut])
		word = word[cut:]
	}
	return append(pieces, word)
}

// longestWord is the widest space-separated word of text; with punct, the
// widest piece between break characters.
func longestWord(text string, punct bool) int {
	longest := 0
	for _, word := range strings.Fields(text) {
		if !punct {
			longest = max(longest, runewidth.StringWidth(word))
			continue
		}
		piece := 0
		for _, r := range word {
			piece += runewidth.RuneWidth(r)
			if strings.ContainsRune(breakAfter, r) {
				longest = max(longest, piece)
				piece = 0
			}
		}
		longest = max(longest, piece)
	}
	return longest
}

// fitColumns chooses content widths for columns whose cells are given,
// column by column, so that the table is at most total columns wide with
// its borders and padding. Columns that fit keep their natural width;
// the rest share what is left equally. Words are kept whole where they
// can be, identifiers (keep[i]) most of all.
func fitColumns(columns [][]string, total int, keep []bool) []int {
	n := len(columns)
	avail := total - (3*n + 1) // "│ " + cell + " " per column, and the last "│"
	natural := make([]int, n)
	for i, cells := range columns {
		for _, c := range cells {
			for _, line := range strings.Split(c, "\n") {
				natural[i] = max(natural[i], runewidth.StringWidth(line))
			}
		}
	}
	if sum(natural) <= avail {
		return natural
	}
	// Each column's floor is its longest word. While the floors do not
	// fit, columns give way, the widest first, in this order: free text
	// breaks its long words after punctuation, then anywhere down to 10
	// columns; identifiers (keep) break after punctuation; then anything
	// goes down to 4. Rule ids and node names thus stay whole while long
	// paths and fingerprints can be broken instead.
	lo := make([]int, n)
	punct := make([]int, n)
	for i := range n {
		lo[i] = min(minOver(columns[i], false), natural[i])
		punct[i] = min(minOver(columns[i], true), lo[i])
	}
	isKept := func(i int) bool { return i < len(keep) && keep[i] }
	phases := []struct {
		eligible func(i int) bool
		floor    func(i int) int
	}{
		{func(i int) bool { return !isKept(i) }, func(i int) int { return punct[i] }},
		{func(i int) bool { return !isKept(i) }, func(i int) int { return min(lo[i], 10) }},
		{isKept, func(i int) int { return punct[i] }},
		{func(int) bool { return true }, func(i int) int { return min(lo[i], 4) }},
	}
	for _, ph := range phases {
		for sum(lo) > avail {
			i := widest(lo, func(i int) bool { return ph.eligible(i) && lo[i] > ph.floor(i) })
			if i < 0 {
				break
			}
			lo[i] = max(ph.floor(i), lo[i]-(sum(lo)-avail))
		}
	}
	// The largest cap c such that every column at min(max(c, lo), natural)
	// fits; what is left over goes one column at a time to those still
	// short of their natural width.
	widths := make([]int, n)
	capped := func(c int) int {
		s := 0
		for i := range n {
			s += min(max(c, lo[i]), natural[i])
		}
		return s
	}
	c := 0
	for c < maxOf(natural) && capped(c+1) <= avail {
		c++
	}
	for i := range n {
		widths[i] = min(max(c, lo[i]), natural[i])
	}
	for left := avail - sum(widths); left > 0; {
		grew := false
		for i := n - 1; i >= 0 && left > 0; i-- {
			if widths[i] < natural[i] {
				widths[i]++
				left--
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	return widths
}

// widest is the index of the largest of xs among those ok accepts, or -1.
func widest(xs []int, ok func(i int) bool) int {
	best := -1
	for i, x := range xs {
		if ok(i) && (best < 0 || x > xs[best]) {
			best = i
		}
	}
	return best
}

func minOver(cells []string, punct bool) int {
	m := 0
	for _, c := range cells {
		m = max(m, longestWord(c, punct))
	}
	return m
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// box is a table to draw: headers, rows of cells (plain text: wrapping
// measures them), and a paint function for cells that colour applies to.
type box struct {
	headers []string
	rows    [][]string
	// keep marks the columns of identifiers, whose words are the last to
	// be broken.
	keep []bool
	// betweenRows draws a line between rows: results wrap over several
	// lines, and the line shows where one ends.
	betweenRows bool
	// paint colours a cell after it is wrapped (nil: no colour).
	paint func(col int, cell string) string
}

// draw renders b fitted into width columns, words wrapped as wrapText
// does. tablewriter draws the box; the wrapping is done here, so that it
// breaks where a reader expects.
func (b box) draw(w io.Writer, width int) error {
	columns := make([][]string, len(b.headers))
	for i, h := range b.headers {
		columns[i] = append(columns[i], h)
	}
	for _, row := range b.rows {
		for i, c := range row {
			columns[i] = append(columns[i], c)
		}
	}
	widths := fitColumns(columns, width, b.keep)
	wrapRow := func(row []string) []string {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = strings.Join(wrapText(c, widths[i]), "\n")
			if b.paint != nil {
				out[i] = b.paint(i, out[i])
			}
		}
		return out
	}
	settings := tw.Settings{}
	if b.betweenRows {
		settings.Separators.BetweenRows = tw.On
	}
	table := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols:  tw.NewSymbols(tw.StyleLight),
			Settings: settings,
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
		}))
	headers := make([]any, len(b.headers))
	for i, h := range b.headers {
		headers[i] = strings.Join(wrapText(h, widths[i]), "\n")
	}
	table.Header(headers...)
	for _, row := range b.rows {
		if err := table.Append(wrapRow(row)); err != nil {
			return err
		}
	}
	return table.Render()
}
