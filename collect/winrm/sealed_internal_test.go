package winrm

import (
	"testing"
)

// rot13 is a stand-in context for framing tests: it changes every byte.
type rot13 struct{}

func (rot13) Seal(msg []byte) ([]byte, []byte, error) {
	out := make([]byte, len(msg))
	for i, c := range msg {
		out[i] = c + 13
	}
	return make([]byte, 16), out, nil
}

func (rot13) Unseal(sig, data []byte) ([]byte, error) {
	out := make([]byte, len(data))
	for i, c := range data {
		out[i] = c - 13
	}
	return out, nil
}

// FuzzUnsealBody: a multipart/encrypted answer from the network never
// panics the parser, and what seals unseals whole.
func FuzzUnsealBody(f *testing.F) {
	seed, err := sealBody(rot13{}, []byte("<s:Envelope/>"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(mimeBoundary + "--\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = unsealBody(rot13{}, b)
		if len(b) > 0 {
			body, err := sealBody(rot13{}, b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := unsealBody(rot13{}, body)
			if err != nil || string(got) != string(b) {
				t.Fatalf("round trip: %v", err)
			}
		}
	})
}
