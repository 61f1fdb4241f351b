package tls

import (
	"strconv"
	"unicode/utf8"
)

// Distinguished names are written as Zeek writes a certificate's subject
// and issuer: OpenSSL's X509_NAME_print_ex with XN_FLAG_RFC2253. That is
//
//   - the attributes in reverse order, RDNs separated by ',' and the
//     attributes of a multi-valued RDN by '+';
//   - OpenSSL's short names (CN, O, OU, C, ST, L, emailAddress, street,
//     ...); an attribute OpenSSL does not know as its dotted OID with the
//     value as '#' and the hex of its DER;
//   - string values converted to UTF-8, with '"' '+' ',' ';' '<' '>' '\'
//     anywhere, '#' or ' ' at the start and ' ' at the end escaped by a
//     backslash, and control characters and every byte of a non-ASCII
//     character written as \XX; values of non-string types as '#' and hex.

// formatName formats a DER Name. It reports false when the Name does not
// parse.
func formatName(raw []byte) (string, bool) {
	type ava struct {
		set      int
		oid      []byte
		tag      byte
		val, der []byte
	}
	var avas []ava
	seq, _, ok := derSequence(raw)
	if !ok {
		return "", false
	}
	for set := 0; len(seq) > 0; set++ {
		tag, rdn, _, rest, ok := derNext(seq)
		if !ok || tag != 0x31 {
			return "", false
		}
		seq = rest
		for len(rdn) > 0 {
			attr, rest, ok := derSequence(rdn)
			if !ok {
				return "", false
			}
			rdn = rest
			tag, oid, _, after, ok := derNext(attr)
			if !ok || tag != 0x06 {
				return "", false
			}
			vtag, val, der, _, ok := derNext(after)
			if !ok {
				return "", false
			}
			avas = append(avas, ava{set: set, oid: oid, tag: vtag, val: val, der: der})
		}
	}
	out := make([]byte, 0, 128)
	for i := len(avas) - 1; i >= 0; i-- {
		a := &avas[i]
		if i != len(avas)-1 {
			if a.set != avas[i+1].set {
				out = append(out, ',')
			} else {
				out = append(out, '+')
			}
		}
		name, known := attributeNames[string(a.oid)]
		if !known {
			out = appendOID(out, a.oid)
			out = append(out, '=')
			out = appendDump(out, a.der)
			continue
		}
		out = append(out, name...)
		out = append(out, '=')
		out = appendNameValue(out, a.tag, a.val, a.der)
	}
	if len(out) > maxNameLen {
		out = out[:maxNameLen]
	}
	return string(out), true
}

// lastCommonName returns the value of the last CN of a DER Name, in the
// order of the encoding.
func lastCommonName(raw []byte) (string, bool) {
	seq, _, ok := derSequence(raw)
	if !ok {
		return "", false
	}
	var cn string
	found := false
	for len(seq) > 0 {
		tag, rdn, _, rest, ok := derNext(seq)
		if !ok || tag != 0x31 {
			break
		}
		seq = rest
		for len(rdn) > 0 {
			attr, rest, ok := derSequence(rdn)
			if !ok {
				break
			}
			rdn = rest
			tag, oid, _, after, ok := derNext(attr)
			if !ok || tag != 0x06 || string(oid) != oidCommonName {
				continue
			}
			if _, val, _, _, ok := derNext(after); ok {
				cn, found = string(val), true
			}
		}
	}
	return cn, found
}

const oidCommonName = "\x55\x04\x03"

// charWidth is OpenSSL's tag2nbyte: the bytes per character of the string
// types it prints (0 is UTF-8), -1 for the types it dumps.
func charWidth(tag byte) int {
	switch tag {
	case 12: // UTF8String
		return 0
	case 18, 19, 20, 22, 23, 24, 26: // Numeric, Printable, T61, IA5, UTCTime, GeneralizedTime, Visible
		return 1
	case 28: // UniversalString
		return 4
	case 30: // BMPString
		return 2
	}
	return -1
}

func appendNameValue(dst []byte, tag byte, val, der []byte) []byte {
	w := charWidth(tag)
	if w < 0 {
		return appendDump(dst, der)
	}
	// Decode to characters first, as OpenSSL does; a value it cannot
	// decode is dumped.
	var chars []rune
	switch w {
	case 0:
		for len(val) > 0 {
			r, n := utf8.DecodeRune(val)
			if r == utf8.RuneError && n <= 1 {
				return appendDump(dst, der)
			}
			chars = append(chars, r)
			val = val[n:]
		}
	default:
		if len(val)%w != 0 {
			return appendDump(dst, der)
		}
		for i := 0; i < len(val); i += w {
			var r rune
			for _, c := range val[i : i+w] {
				r = r<<8 | rune(c)
			}
			chars = append(chars, r)
		}
	}
	var enc [utf8.UTFMax]byte
	for i, r := range chars {
		var pos byte
		switch {
		case i == len(chars)-1:
			pos = posLast
		case i == 0:
			pos = posFirst
		}
		if r > 0x10ffff || r < 0 {
			r = utf8.RuneError
		}
		n := utf8.EncodeRune(enc[:], r)
		for _, c := range enc[:n] {
			dst = appendEscaped(dst, c, pos)
		}
	}
	return dst
}

const (
	posFirst = 1
	posLast  = 2
)

// appendEscaped writes one byte of a UTF-8 value with OpenSSL's RFC 2253
// escaping.
func appendEscaped(dst []byte, c byte, pos byte) []byte {
	const hexdigits = "0123456789ABCDEF"
	switch {
	case c > 0x7f || c < 0x20 || c == 0x7f:
		return append(dst, '\\', hexdigits[c>>4], hexdigits[c&0xf])
	case c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\',
		pos == posFirst && (c == ' ' || c == '#'),
		pos == posLast && c == ' ':
		return append(dst, '\\', c)
	}
	return append(dst, c)
}

// appendDump writes '#' and the upper-case hex of a DER element.
func appendDump(dst, der []byte) []byte {
	const hexdigits = "0123456789ABCDEF"
	dst = append(dst, '#')
	for _, c := range der {
		dst = append(dst, hexdigits[c>>4], hexdigits[c&0xf])
	}
	return dst
}

// appendOID writes a DER OID in dotted form.
func appendOID(dst, oid []byte) []byte {
	var v uint64
	first := true
	for i, c := range oid {
		if v > 1<<56 { // absurdly long arc: dump instead
			return appendDump(dst, oid[i:])
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			first = false
			switch {
			case v < 40:
				dst = append(dst, '0', '.')
			case v < 80:
				dst = append(dst, '1', '.')
				v -= 40
			default:
				dst = append(dst, '2', '.')
				v -= 80
			}
		} else {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, v, 10)
		v = 0
	}
	return dst
}

// attributeNames maps DER-encoded attribute OIDs to OpenSSL's short names.
var attributeNames = func() map[string]string {
	m := map[string]string{}
	x520 := map[byte]string{
		3: "CN", 4: "SN", 5: "serialNumber", 6: "C", 7: "L", 8: "ST", 9: "street", 10: "O", 11: "OU",
		12: "title", 13: "description", 14: "searchGuide", 15: "businessCategory", 16: "postalAddress",
		17: "postalCode", 18: "postOfficeBox", 19: "physicalDeliveryOfficeName", 20: "telephoneNumber",
		21: "telexNumber", 22: "teletexTerminalIdentifier", 23: "facsimileTelephoneNumber",
		24: "x121Address", 25: "internationaliSDNNumber", 26: "registeredAddress",
		27: "destinationIndicator", 28: "preferredDeliveryMethod", 29: "presentationAddress",
		30: "supportedApplicationContext", 31: "member", 32: "owner", 33: "roleOccupant",
		34: "seeAlso", 35: "userPassword", 36: "userCertificate", 37: "cACertificate",
		38: "authorityRevocationList", 39: "certificateRevocationList", 40: "crossCertificatePair",
		41: "name", 42: "GN", 43: "initials", 44: "generationQualifier", 45: "x500UniqueIdentifier",
		46: "dnQualifier", 47: "enhancedSearchGuide", 48: "protocolInformation",
		49: "distinguishedName", 50: "uniqueMember", 51: "houseIdentifier", 52: "supportedAlgorithms",
		53: "deltaRevocationList", 54: "dmdName", 65: "pseudonym", 72: "role",
		97: "organizationIdentifier", 98: "c3", 99: "n3", 100: "dnsName",
	}
	for k, v := range x520 {
		m[string([]byte{0x55, 0x04, k})] = v
	}
	// PKCS #9: 1.2.840.113549.1.9.N
	pkcs9 := map[byte]string{1: "emailAddress", 2: "unstructuredName", 8: "unstructuredAddress"}
	for k, v := range pkcs9 {
		m[string([]byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, k})] = v
	}
	// RFC 4519 / COSINE: 0.9.2342.19200300.100.1.N
	cosine := map[byte]string{1: "UID", 3: "mail", 25: "DC"}
	for k, v := range cosine {
		m[string([]byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, k})] = v
	}
	// EV jurisdiction: 1.3.6.1.4.1.311.60.2.1.N
	ev := map[byte]string{1: "jurisdictionL", 2: "jurisdictionST", 3: "jurisdictionC"}
	for k, v := range ev {
		m[string([]byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, k})] = v
	}
	return m
}()
