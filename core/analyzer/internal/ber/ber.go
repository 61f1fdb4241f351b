// Package ber reads the few ASN.1 BER/DER structures the SNMP and Kerberos
// analyzers check: one tag-length-value at a time, within bounds, without
// allocating.
package ber

// maxLenBytes is the longest length encoding accepted (4 bytes: up to
// 4 GiB, more than any datagram or TCP message the analyzers look at).
const maxLenBytes = 4

// Next reads the TLV at the start of b: its identifier octet (single-byte
// tags only: low tag numbers 0-30), its contents and what follows it. ok is
// false if b is too short for the TLV, the tag is a multi-byte one, or the
// length is indefinite or longer than maxLenBytes. contents and rest alias
// b.
func Next(b []byte) (tag byte, contents, rest []byte, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, nil, nil, false
	}
	tag = b[0]
	l := int(b[1])
	i := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > maxLenBytes || len(b) < 2+n {
			return 0, nil, nil, false
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l < 0 || l > len(b)-i {
		return 0, nil, nil, false
	}
	return tag, b[i : i+l], b[i+l:], true
}

// Int reads a small INTEGER (tag 0x02) at the start of b and returns its
// value. ok is false for another tag, an empty or over-long (more than 8
// bytes) contents.
func Int(b []byte) (v int64, rest []byte, ok bool) {
	tag, c, rest, ok := Next(b)
	if !ok || tag != 0x02 || len(c) == 0 || len(c) > 8 {
		return 0, nil, false
	}
	v = int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, rest, true
}

// Length reports the total length of the TLV at the start of b as its
// header declares it (header plus contents), whether or not b holds all of
// it, and whether the header itself is complete and valid.
func Length(b []byte) (int, bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, false
	}
	l := int(b[1])
	if l&0x80 == 0 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > maxLenBytes || len(b) < 2+n {
		return 0, false
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l, true
}

// Header reads only the identifier and length octets at the start of b:
// the tag, the header's length and the contents' declared length. Unlike
// Next it does not need the contents to be in b, so a prefix of a message
// can be checked.
func Header(b []byte) (tag byte, hdrLen, contentLen int, ok bool) {
	n, ok := Length(b)
	if !ok {
		return 0, 0, 0, false
	}
	h := 2
	if b[1]&0x80 != 0 {
		h += int(b[1] & 0x7f)
	}
	return b[0], h, n - h, true
}
