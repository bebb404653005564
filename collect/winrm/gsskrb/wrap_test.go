package gsskrb

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pair(t testing.TB, keyType int32, size int) (*Session, *Session) {
	k := make([]byte, size)
	_, _ = rand.Read(k)
	key := types.EncryptionKey{KeyType: keyType, KeyValue: k}
	ini, err := NewSession(key, true, true, 100, 7000)
	require.NoError(t, err)
	acc, err := NewSession(key, false, true, 7000, 100)
	require.NoError(t, err)
	return ini, acc
}

// TestWrapRoundTrip: what one side seals the other unseals, in order, for
// each AES enctype; the layout is MIT's (EC 0, RRC 28, data as long as the
// plaintext); a replayed, reflected or altered token is refused.
func TestWrapRoundTrip(t *testing.T) {
	for _, et := range []struct {
		id   int32
		size int
	}{{17, 16}, {18, 32}, {19, 16}, {20, 32}} {
		ini, acc := pair(t, et.id, et.size)
		msg := []byte("<s:Envelope>the new web.config</s:Envelope>")
		sig, data, err := ini.Wrap(msg)
		require.NoError(t, err)
		assert.Len(t, data, len(msg))
		assert.False(t, bytes.Contains(append(sig, data...), []byte("web.config")))
		assert.Equal(t, []byte{0x05, 0x04, 0x06, 0xff, 0, 0, 0, 28}, sig[:8])
		got, err := acc.Unwrap(sig, data)
		require.NoError(t, err)
		assert.Equal(t, msg, got)
		_, err = acc.Unwrap(sig, data)
		assert.ErrorContains(t, err, "sequence number", "a replay")
		_, err = ini.Unwrap(sig, data)
		assert.ErrorContains(t, err, "reflected")
		sig2, data2, err := acc.Wrap([]byte("answer"))
		require.NoError(t, err)
		data2[0] ^= 1
		_, err = ini.Unwrap(sig2, data2)
		assert.Error(t, err, "tampered")
	}
	_, err := NewSession(types.EncryptionKey{KeyType: 23, KeyValue: make([]byte, 16)}, true, false, 0, 0)
	assert.ErrorContains(t, err, "RC4-HMAC")
	assert.ErrorContains(t, err, "ntlm-encrypted", "the way out is one tmsdrift has: Kerberos is not offered over HTTPS")
}

// FuzzUnwrap: tokens from the network never panic the unwrapper.
func FuzzUnwrap(f *testing.F) {
	ini, _ := pair(f, 18, 32)
	sig, data, _ := ini.Wrap([]byte("seed message"))
	f.Add(sig, data)
	f.Add([]byte{0x05, 0x04, 0x07, 0xff, 0, 0, 0xff, 0xff}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, sig, data []byte) {
		_, acc := pair(t, 18, 32)
		_, _ = acc.Unwrap(sig, data)
	})
}

// FuzzComplete: an acceptor's answer from the network never panics.
func FuzzComplete(f *testing.F) {
	f.Add([]byte{0xa1, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte{0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x02, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		in := &Initiator{sessionKey: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}}
		_, _ = in.Complete(b)
	})
}
