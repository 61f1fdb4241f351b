package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// JA3 (Salesforce): the client hello as
// "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats",
// values in decimal joined by '-', GREASE values (RFC 8701) left out; JA3
// is the MD5 of that string. JA3S is the server hello's
// "SSLVersion,Cipher,Extensions" the same way.

// ja3String appends the JA3 string of ch to dst.
func ja3String(dst []byte, ch *clientHello) []byte {
	dst = strconv.AppendUint(dst, uint64(ch.version), 10)
	dst = append(dst, ',')
	dst = appendDecimals(dst, ch.ciphers)
	dst = append(dst, ',')
	dst = appendDecimals(dst, ch.exts)
	dst = append(dst, ',')
	dst = appendDecimals(dst, ch.groups)
	dst = append(dst, ',')
	for i, p := range ch.points {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(p), 10)
	}
	return dst
}

func appendDecimals(dst []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if isGREASE(v) {
			continue
		}
		if !first {
			dst = append(dst, '-')
		}
		first = false
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

func ja3(ch *clientHello) string {
	var buf [512]byte
	sum := md5.Sum(ja3String(buf[:0], ch))
	return hex.EncodeToString(sum[:])
}

// ja3sString appends the JA3S string of sh to dst.
func ja3sString(dst []byte, sh *serverHello) []byte {
	dst = strconv.AppendUint(dst, uint64(sh.version), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(sh.cipher), 10)
	dst = append(dst, ',')
	return appendDecimals(dst, sh.exts)
}

func ja3s(sh *serverHello) string {
	var buf [256]byte
	sum := md5.Sum(ja3sString(buf[:0], sh))
	return hex.EncodeToString(sum[:])
}

// JA4 (FoxIO, client only) is "a_b_c":
//
//	a: protocol (t TCP, q QUIC, d DTLS), version (the highest of
//	   supported_versions, else the hello's: 13 12 11 10 s3 s2 d1 d2 d3,
//	   00 unknown), d with an SNI extension else i, the number of cipher
//	   suites and of extensions (two digits each, at most 99, GREASE not
//	   counted), the first and last character of the first ALPN protocol
//	   (00 without ALPN; the first and last hex digit of the protocol when
//	   either character is not alphanumeric);
//	b: the first 12 hex digits of the SHA-256 of the sorted cipher suites
//	   (4 lower-case hex digits each, comma separated, GREASE removed);
//	c: the same of the sorted extensions without GREASE, SNI (0000) and
//	   ALPN (0010), followed, when there are any, by '_' and the signature
//	   algorithms in their original order.
//
// An empty list hashes to 000000000000.

func ja4(ch *clientHello, proto byte) string {
	out := make([]byte, 0, 36)
	out = append(out, proto)
	out = append(out, ja4Version(ch)...)
	if ch.hasSNI {
		out = append(out, 'd')
	} else {
		out = append(out, 'i')
	}
	out = appendCount(out, countNonGREASE(ch.ciphers))
	out = appendCount(out, countNonGREASE(ch.exts))
	out = appendALPN(out, ch.alpn)
	out = append(out, '_')

	var scratch [1024]byte
	list := scratch[:0]
	sorted := sortedNonGREASE(ch.ciphers, false)
	list = appendHexList(list, sorted)
	out = appendTruncatedHash(out, list, len(sorted) == 0)
	out = append(out, '_')

	list = scratch[:0]
	sorted = sortedNonGREASE(ch.exts, true)
	list = appendHexList(list, sorted)
	if len(ch.sigAlgs) > 0 {
		list = append(list, '_')
		list = appendHexList(list, ch.sigAlgs)
	}
	out = appendTruncatedHash(out, list, len(sorted) == 0 && len(ch.sigAlgs) == 0)
	return string(out)
}

// ja4Version picks the version JA4 reports: the highest non-GREASE entry
// of supported_versions (DTLS versions ordered by their release), else the
// hello's legacy version.
func ja4Version(ch *clientHello) string {
	v, best := ch.version, -1
	for _, sv := range ch.versions {
		if isGREASE(sv) {
			continue
		}
		if r := versionRank(sv); r > best {
			v, best = sv, r
		}
	}
	switch v {
	case versionTLSv13:
		return "13"
	case versionTLSv12:
		return "12"
	case versionTLSv11:
		return "11"
	case versionTLSv10:
		return "10"
	case versionSSLv3:
		return "s3"
	case versionSSLv2:
		return "s2"
	case versionDTLSv10:
		return "d1"
	case versionDTLSv12:
		return "d2"
	case versionDTLSv13:
		return "d3"
	}
	return "00"
}

// versionRank orders versions by age; DTLS numbers count down.
func versionRank(v uint16) int {
	if v>>8 == 0xfe {
		return 0x10000 + int(0xff-v&0xff)
	}
	return int(v)
}

func countNonGREASE(vs []uint16) int {
	n := 0
	for _, v := range vs {
		if !isGREASE(v) {
			n++
		}
	}
	return n
}

func appendCount(dst []byte, n int) []byte {
	n = min(n, 99)
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

func appendALPN(dst, alpn []byte) []byte {
	if len(alpn) == 0 {
		return append(dst, "00"...)
	}
	first, last := alpn[0], alpn[len(alpn)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(dst, first, last)
	}
	const digits = "0123456789abcdef"
	return append(dst, digits[first>>4], digits[last&0xf])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// sortedNonGREASE returns vs without GREASE (and, for extensions, without
// SNI and ALPN), sorted.
func sortedNonGREASE(vs []uint16, exts bool) []uint16 {
	out := make([]uint16, 0, len(vs))
	for _, v := range vs {
		if isGREASE(v) || exts && (v == extServerName || v == extALPN) {
			continue
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func appendHexList(dst []byte, vs []uint16) []byte {
	const digits = "0123456789abcdef"
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	return dst
}

func appendTruncatedHash(dst, data []byte, empty bool) []byte {
	if empty {
		return append(dst, "000000000000"...)
	}
	sum := sha256.Sum256(data)
	var h [64]byte
	hex.Encode(h[:], sum[:])
	return append(dst, h[:12]...)
}
