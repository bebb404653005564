package gsskrb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Token IDs of RFC 4121 section 4.1.
var (
	tokAPReq = []byte{0x01, 0x00}
	tokAPRep = []byte{0x02, 0x00}
	tokError = []byte{0x03, 0x00}
)

// Initiator is a context the client is establishing: what it sent in
// its AP-REQ, to check the acceptor's AP-REP against.
type Initiator struct {
	sessionKey types.EncryptionKey
	auth       types.Authenticator
}

// Initiate asks the KDC (through cl) for a ticket to spn and makes the
// first token of the context: an SPNEGO NegTokenInit carrying a Kerberos
// AP-REQ that requires mutual authentication, with a subkey, a sequence
// number and the GSS flags for confidentiality (RFC 4121 4.1.1).
func Initiate(cl *client.Client, spn string) ([]byte, *Initiator, error) {
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos ticket for %s: %w", spn, err)
	}
	return initiate(cl.Credentials.Domain(), cl.Credentials.CName(), tkt, key)
}

func initiate(realm string, cname types.PrincipalName, tkt messages.Ticket, key types.EncryptionKey) ([]byte, *Initiator, error) {
	if err := Supported(key.KeyType); err != nil {
		return nil, nil, err
	}
	auth, err := types.NewAuthenticator(realm, cname)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos authenticator: %w", err)
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos authenticator: %w", err)
	}
	if err := auth.GenerateSeqNumberAndSubKey(key.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, nil, fmt.Errorf("kerberos authenticator: %w", err)
	}
	ck := make([]byte, 24) // Lgth, Bnd (no channel bindings over HTTP), Flags
	binary.LittleEndian.PutUint32(ck[0:], 16)
	binary.LittleEndian.PutUint32(ck[20:], gssapi.ContextFlagMutual|gssapi.ContextFlagReplay|gssapi.ContextFlagSequence|gssapi.ContextFlagConf|gssapi.ContextFlagInteg)
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: ck}
	req, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos AP-REQ: %w", err)
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	b, err := req.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos AP-REQ: %w", err)
	}
	mech, err := MechToken(tokAPReq, b)
	if err != nil {
		return nil, nil, err
	}
	tok := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes:      []asn1.ObjectIdentifier{gssapi.OIDKRB5.OID()},
		MechTokenBytes: mech,
	}}
	out, err := tok.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("spnego token: %w", err)
	}
	return out, &Initiator{sessionKey: key, auth: auth}, nil
}

// MechToken frames a Kerberos message as a GSS-API token (RFC 2743 3.1,
// RFC 4121 4.1): the mechanism's OID, the token ID, the message.
func MechToken(id, msg []byte) ([]byte, error) {
	oid, err := asn1.Marshal(gssapi.OIDKRB5.OID())
	if err != nil {
		return nil, fmt.Errorf("gss token: %w", err)
	}
	b := append(append(oid, id...), msg...)
	return asn1tools.AddASNAppTag(b, 0), nil
}

// SplitMechToken is MechToken's inverse: it returns the token ID and the
// Kerberos message of a GSS-API Kerberos token.
func SplitMechToken(b []byte) (id, msg []byte, err error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.UnmarshalWithParams(b, &oid, "application,explicit,tag:0")
	if err != nil {
		return nil, nil, fmt.Errorf("not a GSS-API token: %w", err)
	}
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return nil, nil, fmt.Errorf("GSS-API token of mechanism %s, not Kerberos", oid)
	}
	if len(rest) < 2 {
		return nil, nil, errors.New("GSS-API Kerberos token too short")
	}
	return rest[:2], rest[2:], nil
}

// Complete checks the acceptor's answer (an SPNEGO NegTokenResp or a
// bare Kerberos token holding the AP-REP) and returns the established
// session. A KRB-ERROR, an AP-REP that does not decrypt with the session
// key or does not echo the authenticator's time, and an answer without
// an AP-REP (no mutual authentication) are errors.
func (in *Initiator) Complete(answer []byte) (*Session, error) {
	if len(answer) == 0 {
		return nil, errors.New("the node did not authenticate itself (no Kerberos AP-REP: mutual authentication failed)")
	}
	mech := answer
	if answer[0] == 0xa1 { // SPNEGO NegTokenResp
		var resp spnego.NegTokenResp
		if err := resp.Unmarshal(answer); err != nil {
			return nil, fmt.Errorf("spnego answer: %w", err)
		}
		if resp.State() != spnego.NegStateAcceptCompleted {
			return nil, fmt.Errorf("spnego answer: the node did not complete the negotiation (state %d)", resp.State())
		}
		mech = resp.ResponseToken
	}
	id, msg, err := SplitMechToken(mech)
	if err != nil {
		return nil, err
	}
	switch {
	case string(id) == string(tokError):
		var ke messages.KRBError
		if err := ke.Unmarshal(msg); err != nil {
			return nil, fmt.Errorf("kerberos error from the node (unreadable): %w", err)
		}
		return nil, fmt.Errorf("the node refused the Kerberos ticket: %s", ke.Error())
	case string(id) != string(tokAPRep):
		return nil, fmt.Errorf("kerberos: expected an AP-REP, got token %x", id)
	}
	var rep messages.APRep
	if err := rep.Unmarshal(msg); err != nil {
		return nil, fmt.Errorf("kerberos AP-REP: %w", err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, in.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("kerberos AP-REP does not decrypt with the session key (not the node the ticket is for): %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, fmt.Errorf("kerberos AP-REP: %w", err)
	}
	if !part.CTime.Equal(in.auth.CTime.Truncate(time.Second)) || part.Cusec != in.auth.Cusec {
		return nil, errors.New("kerberos AP-REP does not answer this authenticator (replayed)")
	}
	if len(part.Subkey.KeyValue) > 0 {
		return NewSession(part.Subkey, true, true, uint64(in.auth.SeqNumber), uint64(part.SequenceNumber))
	}
	return NewSession(in.auth.SubKey, true, false, uint64(in.auth.SeqNumber), uint64(part.SequenceNumber))
}
