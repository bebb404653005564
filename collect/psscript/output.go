package psscript

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// Header and End frame the collector's output; anything before the header
// (a banner, a profile's chatter) is ignored, and output without End was
// cut off.
const (
	Header = "#tmsdrift-collector/v1"
	End    = "#end"
)

// The parts of the collector's output: the files of a snapshot folder.
const (
	PartFacts     = "facts.json"
	PartWebConfig = "web.config"
	PartManifest  = "manifest.json"
)

var partNames = []string{PartFacts, PartWebConfig, PartManifest}

// Part is one file the collector printed, or the reason it could not.
type Part struct {
	// Path is the Windows path the file was read from (web.config); empty
	// for the parts the collector builds (facts.json, manifest.json).
	Path string
	Data []byte
	// Err is the node's own report of why the part is missing; it wraps
	// fs.ErrNotExist when the file does not exist.
	Err error
}

// Output is what one run of the collector printed.
type Output struct {
	// Parts by name (PartFacts, ...); a part the collector was not asked
	// for (the manifest of a single-server model) is absent.
	Parts map[string]*Part
	// Warnings are what the collector could not find out but went on
	// without (the time source did not answer, ...).
	Warnings []string
}

// NodeError is an error the node reported for a part.
type NodeError struct {
	Part, Path, Message string
	NotFound            bool
}

// Error is the node's own message.
func (e *NodeError) Error() string { return e.Message }

// Unwrap makes errors.Is(err, fs.ErrNotExist) true for a missing file.
func (e *NodeError) Unwrap() error {
	if e.NotFound {
		return fs.ErrNotExist
	}
	return nil
}

// ParseOutput reads the collector's standard output. It fails only when
// the output as a whole is unusable (no header, cut off, a line that is
// not the format); a part whose base64 is damaged gets that error as its
// own, so the other parts are still used.
func ParseOutput(out []byte) (*Output, error) {
	lines := strings.Split(string(out), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l, "\r ") == Header {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, errors.New("not collector output (no " + Header + " line)")
	}
	o := &Output{Parts: map[string]*Part{}}
	var cur *Part
	var body strings.Builder
	flush := func() {
		if cur == nil {
			return
		}
		data, err := base64.StdEncoding.DecodeString(body.String())
		if err != nil {
			cur.Err = fmt.Errorf("damaged in transit: %w", err)
		} else {
			cur.Data = data
		}
		cur = nil
		body.Reset()
	}
	for i := start + 1; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r ")
		if !strings.HasPrefix(line, "#") {
			if cur != nil {
				body.WriteString(strings.TrimSpace(line))
			} else if line != "" {
				return nil, fmt.Errorf("line %d: unexpected output %q", i+1, clip(line))
			}
			continue
		}
		flush()
		f := strings.Fields(line)
		switch f[0] {
		case End:
			for _, l := range lines[i+1:] {
				if strings.TrimSpace(l) != "" {
					return nil, fmt.Errorf("line %d: output after %s", i+2, End)
				}
			}
			return o, nil
		case "#warning":
			if len(f) != 2 {
				return nil, fmt.Errorf("line %d: malformed #warning", i+1)
			}
			msg, err := decodeText(f[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: #warning: %w", i+1, err)
			}
			o.Warnings = append(o.Warnings, msg)
		case "#file", "#error":
			p, name, err := parseMarker(f)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			if _, dup := o.Parts[name]; dup {
				return nil, fmt.Errorf("line %d: %s appears twice", i+1, name)
			}
			o.Parts[name] = p
			if f[0] == "#file" {
				cur = p
			}
		default:
			return nil, fmt.Errorf("line %d: unknown marker %q", i+1, clip(f[0]))
		}
	}
	return nil, errors.New("output ends before " + End + ": the collector was cut off")
}

// parseMarker reads `#file NAME PATH64` or
// `#error NAME PATH64 notfound|failed MESSAGE64`.
func parseMarker(f []string) (*Part, string, error) {
	want := 3
	if f[0] == "#error" {
		want = 5
	}
	if len(f) != want {
		return nil, "", fmt.Errorf("malformed %s line", f[0])
	}
	name := f[1]
	if !known(name) {
		return nil, "", fmt.Errorf("%s: unknown part %q", f[0], clip(name))
	}
	p := &Part{}
	if f[2] != "-" {
		path, err := decodeText(f[2])
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: path: %w", f[0], name, err)
		}
		p.Path = path
	}
	if f[0] == "#error" {
		if f[3] != "notfound" && f[3] != "failed" {
			return nil, "", fmt.Errorf("#error %s: unknown code %q", name, clip(f[3]))
		}
		msg, err := decodeText(f[4])
		if err != nil {
			return nil, "", fmt.Errorf("#error %s: message: %w", name, err)
		}
		p.Err = &NodeError{Part: name, Path: p.Path, Message: msg, NotFound: f[3] == "notfound"}
	}
	return p, name, nil
}

func known(name string) bool {
	for _, n := range partNames {
		if n == name {
			return true
		}
	}
	return false
}

// decodeText reads a base64 UTF-8 field.
func decodeText(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", errors.New("not base64")
	}
	return string(b), nil
}

// clip shortens what a node sent before it goes into a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Write prints o in the collector's format, as the PowerShell script does
// (CRLF line ends, base64 wrapped at 76 characters): what test servers
// answer with, and what the round-trip tests compare.
func (o *Output) Write(w io.Writer) error {
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s + "\r\n") }
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	line(Header)
	for _, name := range partNames {
		p, ok := o.Parts[name]
		if !ok {
			continue
		}
		path := "-"
		if p.Path != "" {
			path = b64(p.Path)
		}
		if p.Err != nil {
			code := "failed"
			if errors.Is(p.Err, fs.ErrNotExist) {
				code = "notfound"
			}
			line(fmt.Sprintf("#error %s %s %s %s", name, path, code, b64(p.Err.Error())))
			continue
		}
		line(fmt.Sprintf("#file %s %s", name, path))
		enc := base64.StdEncoding.EncodeToString(p.Data)
		for len(enc) > 76 {
			line(enc[:76])
			enc = enc[76:]
		}
		if enc != "" {
			line(enc)
		}
	}
	for _, m := range o.Warnings {
		line("#warning " + b64(m))
	}
	line(End)
	_, err := w.Write(b.Bytes())
	return err
}
