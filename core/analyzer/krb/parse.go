package krb

import "github.com/weirnet/weir/core/analyzer/internal/ber"

const (
	// prefixLen is how many bytes of a message checkPrefix needs at most:
	// three headers with 4-byte lengths and two small INTEGERs.
	prefixLen = 32
	// minMessage is the smallest well-formed message: two 2-byte headers
	// and two [n] INTEGER fields of 5 bytes.
	minMessage = 14
	// maxRecord bounds a TCP record (RFC 4120 allows up to 2^31-1; real
	// tickets with PACs stay far below 1 MiB).
	maxRecord = 1 << 20
)

// Kerberos message types (the APPLICATION tag numbers).
const (
	asReq   = 10
	asRep   = 11
	tgsReq  = 12
	tgsRep  = 13
	apReq   = 14
	apRep   = 15
	krbSafe = 20
	krbPriv = 21
	krbCred = 22
	krbErr  = 30
)

func knownType(t int) bool {
	switch t {
	case asReq, asRep, tgsReq, tgsRep, apReq, apRep, krbSafe, krbPriv, krbCred, krbErr:
		return true
	}
	return false
}

// appTag reports whether c opens a Kerberos message.
func appTag(c byte) bool { return c&0xe0 == 0x60 && knownType(int(c&0x1f)) }

// checkPrefix checks the start of a Kerberos message (b is the whole
// message or at least its first prefixLen bytes) and returns the
// message's total length as its outer header declares it, or why it is not
// a Kerberos message.
func checkPrefix(b []byte) (int, string) {
	tag, h, l, ok := ber.Header(b)
	if !ok {
		return 0, "no ASN.1 header"
	}
	// APPLICATION class, constructed.
	if !appTag(tag) {
		return 0, "not a Kerberos application tag"
	}
	mtype := int(tag & 0x1f)
	total := h + l
	b = b[h:]
	tag, h, _, ok = ber.Header(b)
	if !ok || tag != 0x30 {
		return 0, "message is not a SEQUENCE"
	}
	b = b[h:]
	pvnoTag, typeTag := byte(0xa0), byte(0xa1)
	if mtype == asReq || mtype == tgsReq {
		pvnoTag, typeTag = 0xa1, 0xa2
	}
	pvno, b, ok := field(b, pvnoTag)
	if !ok || pvno != 5 {
		return 0, "pvno is not 5"
	}
	mt, _, ok := field(b, typeTag)
	if !ok || mt != int64(mtype) {
		return 0, "msg-type does not match the application tag"
	}
	return total, ""
}

// field reads a context-tagged INTEGER field [n] at the start of b.
func field(b []byte, tag byte) (int64, []byte, bool) {
	t, c, rest, ok := ber.Next(b)
	if !ok || t != tag {
		return 0, nil, false
	}
	v, _, ok := ber.Int(c)
	return v, rest, ok
}
