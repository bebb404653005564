package main

import (
	"html"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/report"
)

// The docs a user follows: README.md and every page of docs/.
func userDocs(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	names = append(names, filepath.Join(root, "README.md"))
	docs := map[string]string{}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, name)
		docs[filepath.ToSlash(rel)] = string(raw)
	}
	require.Greater(t, len(docs), 10)
	return docs
}

// codeOf returns the code of a Markdown page, line by line: the lines of
// fenced and indented blocks, and each inline `code span` of the others
// (as lines of their own). The line numbers are the page's.
func codeOf(page string) map[int][]string {
	code := map[int][]string{}
	fenced := false
	span := regexp.MustCompile("`([^`]+)`")
	for i, line := range strings.Split(page, "\n") {
		n := i + 1
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "```"):
			fenced = !fenced
		case fenced || strings.HasPrefix(line, "    "):
			code[n] = append(code[n], line)
		default:
			for _, m := range span.FindAllStringSubmatch(line, -1) {
				code[n] = append(code[n], m[1])
			}
		}
	}
	return code
}

// lookupFlag finds a flag (--name or -x) that c takes and its --help
// shows, its own or its parents' persistent ones, or cobra's --help.
func lookupFlag(c *cobra.Command, flag string) bool {
	name := strings.TrimLeft(flag, "-")
	if name == "help" || name == "h" {
		return true
	}
	found := false
	check := func(fs *pflag.FlagSet) {
		f := fs.Lookup(name)
		if !strings.HasPrefix(flag, "--") {
			f = fs.ShorthandLookup(name)
		}
		found = found || (f != nil && !f.Hidden)
	}
	check(c.Flags())
	check(c.InheritedFlags())
	return found
}

var (
	// a command line as the docs show it: tmsdrift (or bin/tmsdrift), the
	// command and what follows, up to a comment, a pipe or the end.
	docCommand  = regexp.MustCompile(`(?:^|[\s$/(])tmsdrift ([a-z][a-z-]*)(?:$| ([^|;]*))`)
	bareCommand = regexp.MustCompile(`^([a-z][a-z-]*) ((?:[^|;]*\s)?-[^|;]*)$`)
	docFlag     = regexp.MustCompile(`(?:^|[\s\[(])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?:[\s\]=)]|$)`)
)

// Every command the docs show (`tmsdrift COMMAND [SUB] --flag ...`, in a
// code block or inline) exists, and so does every flag it is shown with:
// a renamed or removed flag cannot linger in the docs. So too the README's
// table of commands: the flags a row names exist on its command.
func TestDocsShowOnlyCommandsAndFlagsThatExist(t *testing.T) {
	root := newRoot(io.Discard, io.Discard)
	checked := 0
	for name, page := range userDocs(t) {
		for n, lines := range codeOf(page) {
			for _, line := range lines {
				line, _, _ = strings.Cut(line, " #") // a comment
				matches := docCommand.FindAllStringSubmatch(line, -1)
				// `serve --once`, `fix --only RULE`: a command named without
				// "tmsdrift" in front, as prose does, with a flag.
				if m := bareCommand.FindStringSubmatch(strings.TrimSpace(line)); m != nil && len(matches) == 0 {
					if c, _, err := root.Find([]string{m[1]}); err == nil && c != root {
						matches = append(matches, m)
					}
				}
				for _, m := range matches {
					words := append([]string{m[1]}, strings.Fields(m[2])...)
					cmd, _, err := root.Find(words)
					if !assert.NoError(t, err, "%s:%d: %q", name, n, line) || !assert.NotSame(t, root, cmd, "%s:%d: no command %q", name, n, m[1]) {
						continue
					}
					for _, f := range docFlag.FindAllStringSubmatch(m[2], -1) {
						assert.True(t, lookupFlag(cmd, f[1]), "%s:%d: %s has no flag %s: %q", name, n, cmd.CommandPath(), f[1], line)
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d flags shown with a command", checked)
	assert.Greater(t, checked, 40, "flags shown with a command")

	// README: | `audit -i INV` | ... (`-f`, `-o FILE`, `--fail-on SEVERITY`) |
	readme := userDocs(t)["README.md"]
	_, table, ok := strings.Cut(readme, "| command | what it does |")
	require.True(t, ok, "README's table of commands")
	table, _, _ = strings.Cut(table, "\n\n")
	rows := 0
	for _, row := range strings.Split(table, "\n") {
		cells := strings.SplitN(strings.TrimPrefix(row, "|"), " | ", 2)
		if len(cells) < 2 || strings.HasPrefix(cells[0], "---") {
			continue
		}
		var cmds []*cobra.Command
		for _, m := range regexp.MustCompile("`([a-z][a-z-]*)((?: [a-z]+)?)").FindAllStringSubmatch(cells[0], -1) {
			cmd, _, err := root.Find(append([]string{m[1]}, strings.Fields(m[2])...))
			if assert.NoError(t, err, row) && assert.NotSame(t, root, cmd, "README: no command in %q", row) {
				cmds = append(cmds, cmd)
			}
		}
		rows++
		for _, f := range docFlag.FindAllStringSubmatch(strings.ReplaceAll(row, "`", " "), -1) {
			assert.True(t, slices.ContainsFunc(cmds, func(c *cobra.Command) bool { return lookupFlag(c, f[1]) }),
				"README's table: %s is no flag of %q", f[1], cells[0])
		}
	}
	assert.Greater(t, rows, 20, "rows of README's table of commands")
}

// The rule ids of docs/contract.md are the catalogue's: §4's table lists
// only rules that exist, and a rule not in it is one of §7's extensions
// ("Rule `id`"). The exit codes of §6 are report's. The counts of rules
// and labs the README states are the real ones.
func TestDocsRuleIDsExitCodesAndCountsAreCurrent(t *testing.T) {
	docs := userDocs(t)
	contract := docs["docs/contract.md"]
	_, s4, _ := strings.Cut(contract, "## 4. Rule catalogue")
	s4, _, _ = strings.Cut(s4, "\n## 5.")
	var table []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z]+\\.[a-z.-]+)` \\|").FindAllStringSubmatch(s4, -1) {
		table = append(table, m[1])
	}
	require.NotEmpty(t, table, "docs/contract.md §4's table")
	ids := checks.IDs()
	for _, id := range table {
		assert.Contains(t, ids, id, "docs/contract.md §4 lists a rule the catalogue has not")
	}
	_, s7, _ := strings.Cut(contract, "## 7.")
	for _, id := range ids {
		if !slices.Contains(table, id) {
			assert.Contains(t, s7, "Rule `"+id+"`", "%s: neither in docs/contract.md §4 nor among §7's extensions", id)
		}
	}

	_, s6, _ := strings.Cut(contract, "## 6. Exit codes")
	s6, _, _ = strings.Cut(s6, "\n## ")
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d) \|`).FindAllStringSubmatch(s6, -1) {
		c, _ := strconv.Atoi(m[1])
		codes = append(codes, c)
	}
	assert.Equal(t, []int{report.ExitOK, report.ExitFail, report.ExitUsage, report.ExitErrored}, codes, "docs/contract.md §6")

	readme := docs["README.md"]
	for _, m := range regexp.MustCompile(`\b(\d+) rules\b`).FindAllStringSubmatch(readme, -1) {
		assert.Equal(t, strconv.Itoa(len(ids)), m[1], "README: %q", m[0])
	}
	labs, err := fixtures.Labs()
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`\b(\d+) lab\b`).FindAllStringSubmatch(readme, -1) {
		assert.Equal(t, strconv.Itoa(len(labs)), m[1], "README: %q", m[0])
	}
}

// Every relative link of the docs leads to a file that exists, and every
// #anchor to a heading of that page (GitHub's spelling: lower case,
// punctuation dropped, spaces become hyphens) or an <a id>.
func TestDocsLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	pages := []string{"README.md", "fixtures/labs/README.md", "bench/README.md"}
	for name := range userDocs(t) {
		if name != "README.md" {
			pages = append(pages, name)
		}
	}
	anchorsOf := func(page string) map[string]bool {
		raw, err := os.ReadFile(filepath.Join(root, page))
		require.NoError(t, err)
		text := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(string(raw), "")
		anchors := map[string]bool{}
		seen := map[string]int{}
		for _, m := range regexp.MustCompile(`(?m)^#{1,6}\s+(.*)$`).FindAllStringSubmatch(text, -1) {
			var b strings.Builder
			// GitHub slugs the rendered heading: &lt; is "<", dropped.
			for _, r := range strings.ToLower(html.UnescapeString(m[1])) {
				switch {
				case r == ' ':
					b.WriteRune('-')
				case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
					b.WriteRune(r)
				}
			}
			slug := b.String()
			if n := seen[slug]; n > 0 {
				anchors[slug+"-"+strconv.Itoa(n)] = true
			} else {
				anchors[slug] = true
			}
			seen[slug]++
		}
		for _, m := range regexp.MustCompile(`<a id="([^"]+)"`).FindAllStringSubmatch(text, -1) {
			anchors[m[1]] = true
		}
		return anchors
	}
	links := 0
	for _, page := range pages {
		raw, err := os.ReadFile(filepath.Join(root, page))
		require.NoError(t, err)
		for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			file, anchor, _ := strings.Cut(target, "#")
			if file == "" {
				file = page
			} else {
				file = filepath.ToSlash(filepath.Join(filepath.Dir(page), file))
			}
			if _, err := os.Stat(filepath.Join(root, file)); !assert.NoError(t, err, "%s: link %s", page, target) {
				continue
			}
			if anchor != "" {
				assert.True(t, anchorsOf(file)[anchor], "%s: link %s: no such heading in %s", page, target, file)
			}
		}
	}
	assert.Greater(t, links, 30, "links checked")

	// Every page of docs/ is in the README's list of documentation.
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, list, ok := strings.Cut(string(readme), "\n## Documentation\n")
	require.True(t, ok, "README's Documentation section")
	list, _, _ = strings.Cut(list, "\n## ")
	for name := range userDocs(t) {
		if strings.HasPrefix(name, "docs/") {
			assert.Contains(t, list, "]("+name+")", "README's Documentation section does not list %s", name)
		}
	}
}

// The terminal sessions the docs show (a block whose first line is
// `$ [COLUMNS=N] tmsdrift ...`, run from the repository's root) are what
// the binary prints now: each run of lines between the `…` that mark
// what was left out appears, in order, in the output.
func TestDocsSessionsAreTheBinarysOutput(t *testing.T) {
	sessions := 0
	for name, page := range userDocs(t) {
		lines := strings.Split(page, "\n")
		for i := 0; i < len(lines); i++ {
			cmdline, ok := strings.CutPrefix(lines[i], "$ ")
			if !ok {
				continue
			}
			var shown []string
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				shown = append(shown, lines[i])
			}
			cmdline, _, _ = strings.Cut(cmdline, "  #")
			args := strings.Fields(cmdline)
			columns := ""
			if c, ok := strings.CutPrefix(args[0], "COLUMNS="); ok {
				columns, args = c, args[1:]
			}
			require.Equal(t, "tmsdrift", args[0], "%s: %s", name, cmdline)
			t.Run(name+":"+strings.Join(args[1:], "_"), func(t *testing.T) {
				t.Setenv("COLUMNS", columns)
				t.Chdir(filepath.Join("..", ".."))
				_, stdout, stderr := tmsdrift(t, args[1:]...)
				out := strings.Split(stdout, "\n")
				at := 0
				var chunk []string
				check := func() {
					if len(chunk) == 0 {
						return
					}
					found := -1
					for j := at; j+len(chunk) <= len(out); j++ {
						if slices.Equal(out[j:j+len(chunk)], chunk) {
							found = j
							break
						}
					}
					if assert.GreaterOrEqual(t, found, 0, "%s shows lines %s does not print (or not in this order):\n%s\n--- it prints:\n%s%s", name, cmdline, strings.Join(chunk, "\n"), stdout, stderr) {
						at = found + len(chunk)
					}
					chunk = nil
				}
				for _, l := range shown {
					if strings.TrimSpace(l) == "…" {
						check()
						continue
					}
					chunk = append(chunk, l)
				}
				check()
			})
			sessions++
		}
	}
	assert.GreaterOrEqual(t, sessions, 4, "terminal sessions shown in the docs")
}

// Every test, fuzz target and benchmark the docs name as evidence
// (`TestXxx`, `FuzzXxx`, `BenchmarkXxx`) is a function of a _test.go file
// of the repository, and every _test.go file they name exists: a renamed
// or removed test cannot go on vouching for a claim.
func TestDocsNameOnlyTestsThatExist(t *testing.T) {
	root := filepath.Join("..", "..")
	funcs := map[string]bool{}
	files := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Z]\w*)\(`)
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = true
		for _, m := range decl.FindAllStringSubmatch(string(raw), -1) {
			funcs[m[1]] = true
		}
		return nil
	}))
	require.NotEmpty(t, funcs)

	docs := userDocs(t)
	for _, extra := range []string{"fixtures/labs/README.md", "bench/README.md"} {
		raw, err := os.ReadFile(filepath.Join(root, extra))
		require.NoError(t, err)
		docs[extra] = string(raw)
	}
	name := regexp.MustCompile(`\b(?:Test|Fuzz|Benchmark)[A-Z]\w*`)
	file := regexp.MustCompile(`[\w*][\w./*-]*_test\.go\b`) // a glob too: cmd/tmsdrift/*_windows_test.go
	named := 0
	for page, text := range docs {
		for i, line := range strings.Split(text, "\n") {
			for _, n := range name.FindAllString(line, -1) {
				assert.True(t, funcs[n], "%s:%d: names %s, a test no _test.go file declares", page, i+1, n)
				named++
			}
			for _, f := range file.FindAllString(line, -1) {
				found := false
				for have := range files {
					whole, _ := path.Match(f, have)
					found = found || whole || strings.HasSuffix(have, "/"+f)
				}
				assert.True(t, found, "%s:%d: names %s, no such test file", page, i+1, f)
				named++
			}
		}
	}
	t.Logf("%d tests and test files named in the docs", named)
	assert.Greater(t, named, 40, "tests and test files named in the docs")
}

// The README's Get started gives a newcomer exactly two commands to set up
// and try, `make demo` and `make test`, and the Makefile has both targets.
func TestDocsREADMEHasTwoSetUpCommands(t *testing.T) {
	readme := userDocs(t)["README.md"]
	_, start, ok := strings.Cut(readme, "\n## Get started\n")
	require.True(t, ok, "README's Get started section")
	start, _, _ = strings.Cut(start, "\n\n    make serve-demo") // the service, an option after the two
	start, _, _ = strings.Cut(start, "\n## ")
	var cmds []string
	for _, line := range strings.Split(start, "\n") {
		if strings.HasPrefix(line, "    ") {
			cmd, _, _ := strings.Cut(strings.TrimSpace(line), " #")
			cmds = append(cmds, strings.TrimSpace(cmd))
		}
	}
	assert.Equal(t, []string{"make demo", "make test"}, cmds, "README, Get started: the set-up commands")
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	for _, target := range []string{"demo", "test"} {
		assert.Regexp(t, "(?m)^"+target+":", string(makefile), "Makefile target %s", target)
	}
}
