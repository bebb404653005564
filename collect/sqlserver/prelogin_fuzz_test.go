package sqlserver

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preloginAnswer is a server's PRELOGIN answer packet with encryption
// value enc (VERSION, ENCRYPTION, INSTOPT, THREADID, MARS), as SQL Server
// and the TDS stand-in send it.
func preloginAnswer(enc byte) []byte {
	body := []byte{
		0x00, 0, 26, 0, 6, 0x01, 0, 32, 0, 1, 0x02, 0, 33, 0, 1, 0x03, 0, 34, 0, 4, 0x04, 0, 38, 0, 1, 0xFF,
		16, 0, 0x10, 0x27, 0, 0, enc, 0, 0, 0, 0, 0, 0,
	}
	return append([]byte{0x04, 0x01, 0, byte(8 + len(body)), 0, 0, 1, 0}, body...)
}

// trickle reads b in chunks of one byte, as a slow network would hand it.
type trickle struct {
	net.Conn
	b []byte
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, net.ErrClosed
	}
	p[0] = t.b[0]
	t.b = t.b[1:]
	return 1, nil
}

func TestPreloginWatchReadsTheServersEncryption(t *testing.T) {
	for _, enc := range []byte{0x00, 0x01, 0x02, 0x03} {
		s := &tlsState{serverEncrypt: -1}
		w := s.watch(&trickle{b: preloginAnswer(enc)})
		buf := make([]byte, 64)
		for {
			if _, err := w.Read(buf); err != nil {
				break
			}
		}
		assert.Equal(t, int(enc), s.serverEncrypt)
	}
	s := &tlsState{serverEncrypt: -1}
	w := s.watch(&trickle{b: []byte{0x16, 0x03, 0x03, 0, 5, 1, 2, 3, 4, 5}}) // TLS, not TDS
	_, err := w.Read(make([]byte, 64))
	require.NoError(t, err)
	assert.Equal(t, -1, s.serverEncrypt)
}

// FuzzPreloginWatch: the server's first bytes are outside input; whatever
// they are, watching them never panics and yields a byte value or nothing.
func FuzzPreloginWatch(f *testing.F) {
	for _, enc := range []byte{0x00, 0x01, 0x02, 0x03} {
		f.Add(preloginAnswer(enc))
	}
	f.Add([]byte{0x04, 0x01, 0x00, 0x09, 0, 0, 1, 0, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &tlsState{serverEncrypt: -1}
		w := &preloginWatch{s: s}
		w.buf = data
		w.look()
		assert.True(t, s.serverEncrypt >= -1 && s.serverEncrypt <= 255)
	})
}
