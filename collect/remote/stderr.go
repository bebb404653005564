package remote

import (
	"encoding/xml"
	"strings"
)

// cleanStderr turns what a failed script wrote to standard error into one
// readable line. PowerShell run by a remote shell may write its error
// records as CLIXML (`#< CLIXML` then <Objs>); their text is taken out.
func cleanStderr(b []byte) string {
	s := string(b)
	if rest, ok := strings.CutPrefix(strings.TrimLeft(s, "\r\n"), "#< CLIXML"); ok {
		s = clixmlText(rest)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// clixmlText collects the text of <S S="Error"> elements, decoding the
// _xHHHH_ escapes PowerShell uses for control characters.
func clixmlText(doc string) string {
	dec := xml.NewDecoder(strings.NewReader(doc))
	var out []string
	inErr := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inErr = false
			if t.Name.Local == "S" {
				for _, a := range t.Attr {
					if a.Name.Local == "S" && a.Value == "Error" {
						inErr = true
					}
				}
			}
		case xml.CharData:
			if inErr {
				out = append(out, unescapeCLIXML(string(t)))
			}
		case xml.EndElement:
			inErr = false
		}
	}
	if len(out) == 0 {
		return doc
	}
	return strings.Join(out, "")
}

func unescapeCLIXML(s string) string {
	r := strings.NewReplacer("_x000D_", "\r", "_x000A_", "\n", "_x0009_", "\t", "_x001B_", "")
	return r.Replace(s)
}
