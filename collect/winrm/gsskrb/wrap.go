// Package gsskrb is the part of the Kerberos GSS-API mechanism (RFC 4121)
// that WinRM's message encryption needs and gokrb5 lacks: the initiator's
// context establishment with mutual authentication (an AP-REQ carrying a
// subkey and a sequence number, the acceptor's AP-REP checked and its
// subkey taken), and wrap tokens with confidentiality — gokrb5's
// gssapi.WrapToken only signs.
//
// The token layout is the one MIT's gss_wrap_iov gives with a HEADER,
// DATA and PADDING buffer, which is what Windows' SSPI EncryptMessage
// produces and what pywinrm/pykerberos send to Windows (MS-WSMV 2.2.9.1.2):
// EC = 0 (the AES enctypes use ciphertext stealing, so no filler), RRC =
// 28 (the encrypted header copy and the checksum rotated to the front),
// and a "signature" that is the token header, the rotated bytes and the
// confounder; the sealed data keeps the plaintext's length. Only the
// RFC 3962 AES enctypes (17, 18) and RFC 8009's (19, 20) are sealed:
// RC4-HMAC (23) uses RFC 4757's different token format, refused here.
package gsskrb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Key usages of RFC 4121 section 2.
const (
	usageAcceptorSeal  = 22
	usageInitiatorSeal = 24
)

// Flags of a wrap token (RFC 4121 section 4.2.2).
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// rrc is the right rotation count of the tokens this package makes: the
// encrypted header copy (16) and the AES checksum (12) move in front, as
// MIT and Windows do.
const rrc = 28

const headerLen = 16

// Session seals and unseals messages of one established context. It is
// safe for one sender and one receiver at a time (sequence numbers are
// kept under a lock).
type Session struct {
	key            types.EncryptionKey
	acceptorSubkey bool // the key is the acceptor's subkey
	initiator      bool // this side sent the AP-REQ

	mu      sync.Mutex
	sendSeq uint64
	recvSeq uint64
}

// NewSession makes a session on key. initiator says which side this is;
// acceptorSubkey that key is the subkey the acceptor chose in its AP-REP.
// sendSeq and recvSeq are the first sequence numbers of each direction
// (from the authenticator and the AP-REP).
func NewSession(key types.EncryptionKey, initiator, acceptorSubkey bool, sendSeq, recvSeq uint64) (*Session, error) {
	if err := Supported(key.KeyType); err != nil {
		return nil, err
	}
	return &Session{key: key, initiator: initiator, acceptorSubkey: acceptorSubkey, sendSeq: sendSeq, recvSeq: recvSeq}, nil
}

// Supported says whether messages can be sealed with keys of this
// enctype.
func Supported(keyType int32) error {
	switch keyType {
	case 17, 18, 19, 20:
		return nil
	case 23, 24:
		return errors.New("the Kerberos ticket uses RC4-HMAC, whose message sealing (RFC 4757) tmsdrift does not implement: enable AES for the account and the node (msDS-SupportedEncryptionTypes), or use auth ntlm-encrypted (tmsdrift offers Kerberos over HTTP 5985 only)")
	}
	return fmt.Errorf("the Kerberos ticket uses encryption type %d, which tmsdrift cannot seal messages with (AES only)", keyType)
}

// Wrap seals msg. It returns MS-WSMV's "signature" (the token's first
// bytes) and the sealed data, as long as msg; together they are one RFC
// 4121 wrap token.
func (s *Session) Wrap(msg []byte) (sig, data []byte, err error) {
	s.mu.Lock()
	seq := s.sendSeq
	s.sendSeq++
	s.mu.Unlock()
	var flags byte = flagSealed
	if !s.initiator {
		flags |= flagSentByAcceptor
	}
	if s.acceptorSubkey {
		flags |= flagAcceptorSubkey
	}
	usage := uint32(usageInitiatorSeal)
	if !s.initiator {
		usage = usageAcceptorSeal
	}
	hdr := header(flags, 0, 0, seq)
	et, err := crypto.GetEtype(s.key.KeyType)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos wrap: %w", err)
	}
	plain := make([]byte, 0, len(msg)+headerLen)
	plain = append(append(plain, msg...), hdr...)
	_, enc, err := et.EncryptMessage(s.key.KeyValue, plain, usage)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos wrap: %w", err)
	}
	if len(enc) < rrc+len(msg) {
		return nil, nil, errors.New("kerberos wrap: ciphertext shorter than expected")
	}
	token := append(header(flags, 0, rrc, seq), rotateRight(enc, rrc)...)
	cut := len(token) - len(msg)
	return token[:cut], token[cut:], nil
}

// Unwrap checks and unseals a wrap token given as MS-WSMV splits it. A
// token that is not sealed, comes from the wrong side, is out of
// sequence or fails its checksum is an error.
func (s *Session) Unwrap(sig, data []byte) ([]byte, error) {
	token := make([]byte, 0, len(sig)+len(data))
	token = append(append(token, sig...), data...)
	if len(token) < headerLen {
		return nil, errors.New("kerberos unwrap: token too short")
	}
	hdr := token[:headerLen]
	if hdr[0] != 0x05 || hdr[1] != 0x04 || hdr[3] != 0xff {
		return nil, errors.New("kerberos unwrap: not an RFC 4121 wrap token")
	}
	flags := hdr[2]
	if flags&flagSealed == 0 {
		return nil, errors.New("kerberos unwrap: the message is signed but not sealed (no confidentiality)")
	}
	fromAcceptor := flags&flagSentByAcceptor != 0
	if fromAcceptor == !s.initiator {
		return nil, errors.New("kerberos unwrap: the token was sent by this side (reflected)")
	}
	if (flags&flagAcceptorSubkey != 0) != s.acceptorSubkey {
		return nil, errors.New("kerberos unwrap: the token is sealed with another key than this context's")
	}
	ec := int(binary.BigEndian.Uint16(hdr[4:6]))
	rot := int(binary.BigEndian.Uint16(hdr[6:8]))
	seq := binary.BigEndian.Uint64(hdr[8:16])
	body := token[headerLen:]
	if len(body) == 0 {
		return nil, errors.New("kerberos unwrap: empty token")
	}
	body = rotateLeft(body, rot%len(body))
	usage := uint32(usageAcceptorSeal)
	if !fromAcceptor {
		usage = usageInitiatorSeal
	}
	et, err := crypto.GetEtype(s.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("kerberos unwrap: %w", err)
	}
	if len(body) < et.GetConfounderByteSize()+et.GetHMACBitLength()/8+headerLen {
		return nil, errors.New("kerberos unwrap: sealed data too short") // gokrb5 would index past it
	}
	plain, err := et.DecryptMessage(s.key.KeyValue, body, usage)
	if err != nil {
		return nil, fmt.Errorf("kerberos unwrap: %w", err)
	}
	if len(plain) < headerLen+ec {
		return nil, errors.New("kerberos unwrap: sealed data too short")
	}
	inner := plain[len(plain)-headerLen:]
	if !bytes.Equal(inner, header(flags, uint16(ec), 0, seq)) {
		return nil, errors.New("kerberos unwrap: the sealed header copy does not match the token header")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq != s.recvSeq {
		return nil, fmt.Errorf("kerberos unwrap: sequence number %d, expected %d (replayed or lost message)", seq, s.recvSeq)
	}
	s.recvSeq++
	return plain[:len(plain)-headerLen-ec], nil
}

func header(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, headerLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xff
	binary.BigEndian.PutUint16(h[4:], ec)
	binary.BigEndian.PutUint16(h[6:], rrc)
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

func rotateRight(b []byte, n int) []byte {
	n %= len(b)
	out := make([]byte, 0, len(b))
	return append(append(out, b[len(b)-n:]...), b[:len(b)-n]...)
}

func rotateLeft(b []byte, n int) []byte {
	out := make([]byte, 0, len(b))
	return append(append(out, b[n:]...), b[:n]...)
}
