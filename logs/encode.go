package logs

import (
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file holds the value encoders. Each appends one value to dst and
// returns the extended slice, without allocating when dst has room. They
// follow Zeek's ASCII writer (src/threading/formatters/Ascii.cc, src/Desc.cc)
// and JSON writer (src/threading/formatters/JSON.cc, rapidjson) byte for
// byte, except where a comment says otherwise.

const (
	tsvSeparator    = '\t'
	tsvSetSeparator = ','
	tsvEmpty        = "(empty)"
	tsvUnset        = "-"
	hexLower        = "0123456789abcdef"
	hexUpper        = "0123456789ABCDEF"
)

// appendSeconds appends ns as seconds with exactly six decimals, rounded to
// the microsecond (half away from zero): 1300475167.096535. This is how Zeek
// prints time and interval values in TSV.
func appendSeconds(dst []byte, ns int64) []byte {
	neg, u := abs(ns)
	us := (u + 500) / 1000
	if neg && us != 0 {
		dst = append(dst, '-')
	}
	dst = appendUint(dst, us/1e6)
	return appendFrac(dst, us%1e6, 1e6)
}

// appendFrac appends '.' and frac as exactly as many digits as one (a power
// of ten) has zeros.
func appendFrac(dst []byte, frac, one uint64) []byte {
	n := len(dst)
	dst = appendUint(dst, one+frac) // 1dddddd
	dst[n] = '.'
	return dst
}

// appendExactSeconds appends ns as seconds in the shortest exact decimal
// form, with at least one decimal: 1300475167.096535, 2.5, 3.0. For
// microsecond values this is byte for byte what Zeek's JSON writer prints
// for the corresponding double.
func appendExactSeconds(dst []byte, ns int64) []byte {
	neg, u := abs(ns)
	if neg {
		dst = append(dst, '-')
	}
	dst = appendUint(dst, u/1e9)
	frac := u % 1e9
	if frac == 0 {
		return append(dst, ".0"...)
	}
	dst = appendFrac(dst, frac, 1e9)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// appendISOTime appends ns as "2011-03-18T19:06:08.306400Z" (UTC, rounded
// to the microsecond), Zeek's JSON::TS_ISO8601 format.
func appendISOTime(dst []byte, ns int64) []byte {
	sec := ns / 1e9
	rem := ns % 1e9
	if rem < 0 {
		sec--
		rem += 1e9
	}
	us := (rem + 500) / 1000
	if us == 1e6 {
		sec++
		us = 0
	}
	t := time.Unix(sec, 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendPadded(dst, uint64(y), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, uint64(mo), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, uint64(d), 2)
	dst = append(dst, 'T')
	dst = appendPadded(dst, uint64(h), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, uint64(mi), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, uint64(s), 2)
	dst = append(dst, '.')
	dst = appendPadded(dst, uint64(us), 6)
	return append(dst, 'Z')
}

// zeekTimeLayout is Zeek's date format in #open and #close lines and in
// rotated file names (%Y-%m-%d-%H-%M-%S).
const zeekTimeLayout = "2006-01-02-15-04-05"

func appendZeekTime(dst []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(dst, zeekTimeLayout)
}

func abs(v int64) (neg bool, u uint64) {
	if v < 0 {
		return true, uint64(^v) + 1
	}
	return false, uint64(v)
}

// appendPadded appends v in decimal, left-padded with zeros to n digits.
func appendPadded(dst []byte, v uint64, n int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || len(b)-i < n {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

// appendTrimmedFrac appends '.' and frac as n digits without trailing zeros;
// frac must not be zero.
func appendTrimmedFrac(dst []byte, frac uint64, n int) []byte {
	for frac%10 == 0 {
		frac /= 10
		n--
	}
	dst = append(dst, '.')
	return appendPadded(dst, frac, n)
}

// appendTSVDouble appends f as Zeek's ASCII writer does: fixed notation
// rounded to six decimals with trailing zeros dropped (modp_dtoa), and ".0"
// added when f is within 1e-9 of an integer. Note the quirk this keeps:
// 2.0000004 prints as "2".
func appendTSVDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	v := f
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	if v >= 1<<63 {
		// Beyond uint64: every digit left of the point is already
		// exact, there is nothing to round.
		dst = strconv.AppendFloat(dst, v, 'f', 0, 64)
	} else {
		whole := uint64(v)
		tmp := (v - float64(whole)) * 1e6
		frac := uint64(tmp)
		diff := tmp - float64(frac)
		if diff > 0.5 || diff == 0.5 && (frac == 0 || frac&1 == 1) {
			frac++
			if frac >= 1e6 {
				frac = 0
				whole++
			}
		}
		dst = strconv.AppendUint(dst, whole, 10)
		if frac != 0 {
			dst = appendTrimmedFrac(dst, frac, 6)
		}
	}
	if math.Abs(f-math.RoundToEven(f)) < 1e-9 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// appendJSONDouble appends f as rapidjson's Writer::Double does in Zeek's
// JSON writer: the shortest digits that read back as f, laid out in fixed
// notation when the decimal point falls within 21 digits (always with a
// fractional part: 3.0), otherwise as 1.5e-7 or 1e21. NaN and infinities
// are written as null.
func appendJSONDouble(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±dd
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	var digits [20]byte
	n := 0
	i := 0
	for ; b[i] != 'e'; i++ {
		if b[i] != '.' {
			digits[n] = b[i]
			n++
		}
	}
	exp := 0 // exponent of the first digit
	e := b[i+1:]
	negExp := e[0] == '-'
	for _, c := range e[1:] {
		exp = exp*10 + int(c-'0')
	}
	if negExp {
		exp = -exp
	}
	d := digits[:n]
	kk := exp + 1 // position of the decimal point relative to the digits
	k := kk - n   // f = digits × 10^k
	switch {
	case k >= 0 && kk <= 21:
		dst = append(dst, d...)
		for ; k > 0; k-- {
			dst = append(dst, '0')
		}
		return append(dst, ".0"...)
	case kk > 0 && kk <= 21:
		dst = append(dst, d[:kk]...)
		dst = append(dst, '.')
		return append(dst, d[kk:]...)
	case kk > -6 && kk <= 0:
		dst = append(dst, "0."...)
		for ; kk < 0; kk++ {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	case n == 1:
		dst = append(dst, d[0], 'e')
	default:
		dst = append(dst, d[0], '.')
		dst = append(dst, d[1:]...)
		dst = append(dst, 'e')
	}
	return strconv.AppendInt(dst, int64(kk-1), 10)
}

// appendAddr appends a as Zeek renders addresses: IPv4 (also when stored
// IPv4-mapped) in dotted quad, IPv6 as glibc's inet_ntop prints it, which
// differs from RFC 5952 only for the deprecated IPv4-compatible form
// (::1.2.3.4).
func appendAddr(dst []byte, a netip.Addr) []byte {
	a = a.Unmap()
	if a.Is6() {
		if a.Zone() != "" {
			a = a.WithZone("")
		}
		b := a.As16()
		if b[12]|b[13] != 0 && [12]byte(b[:12]) == [12]byte{} {
			dst = append(dst, "::"...)
			return netip.AddrFrom4([4]byte(b[12:])).AppendTo(dst)
		}
	}
	return a.AppendTo(dst)
}

// tsvPlain marks the bytes a TSV string value may carry unchanged: printable
// ASCII except the backslash (the escape character). The separator and
// everything else take the slow path. tsvSetPlain also excludes the set
// separator, for set and vector elements.
var tsvPlain, tsvSetPlain = func() (t, set [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '\\'
		set[c] = t[c] && c != tsvSetSeparator
	}
	return t, set
}()

// appendTSVString appends s as Zeek's ASCII writer does with its default
// settings (separator \t, set separator ',', empty field "(empty)", unset
// field "-", UTF-8 enabled):
//
//   - the empty string is written as (empty);
//   - a value that is exactly "-" or "(empty)" gets its first byte escaped
//     (\x2d, \x28empty)) so it cannot be taken for the placeholder;
//   - a backslash becomes \\ and the separator \x09; inside a set or vector
//     element the set separator becomes \x2c;
//   - the bytes between those are written unchanged when they are valid
//     UTF-8 free of control characters; otherwise every byte outside
//     printable ASCII in that stretch is written as \xNN (see appendEscapedUTF8).
func appendTSVString(dst []byte, s string, inSet bool) []byte {
	switch s {
	case "":
		return append(dst, tsvEmpty...)
	case tsvUnset, tsvEmpty:
		dst = append(dst, '\\', 'x', hexLower[s[0]>>4], hexLower[s[0]&0xf])
		s = s[1:]
	}
	plain, i := &tsvPlain, plainPrefix(s, '\\', '\\')
	if inSet {
		plain, i = &tsvSetPlain, plainPrefix(s, '\\', tsvSetSeparator)
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	// Zeek's ODesc splits the value at the backslash and at its escape
	// sequences, and escapes each stretch in between on its own.
	start := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' && c != tsvSeparator && !(inSet && c == tsvSetSeparator) {
			continue
		}
		dst = appendEscapedUTF8(dst, s[start:i], true)
		if c == '\\' {
			dst = append(dst, '\\', '\\')
		} else {
			dst = append(dst, '\\', 'x', hexLower[c>>4], hexLower[c&0xf])
		}
		start = i + 1
	}
	return appendEscapedUTF8(dst, s[start:], true)
}

// Bit tricks on eight bytes at a time, for plainPrefix.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	spaces = ones * 0x20
)

// plainPrefix returns a multiple of 8 up to which s surely needs no
// escaping: every byte is in 0x20..0x7e and is neither a nor b. It checks
// eight bytes at a time; the caller finishes byte by byte.
func plainPrefix(s string, a, b byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		bad := (x - spaces) & ^x & highs            // a byte below 0x20
		bad |= ((x + ones*(0x7f-0x7e)) | x) & highs // a byte above 0x7e
		bad |= hasZero(x^(ones*uint64(a))) | hasZero(x^(ones*uint64(b)))
		if bad != 0 {
			break
		}
	}
	return i
}

// hasZero is non-zero if a byte of x is zero.
func hasZero(x uint64) uint64 { return (x - ones) & ^x & highs }

// appendEscapedUTF8 implements Zeek's UTF-8 escaping (util::escape_utf8)
// for one stretch of a TSV value: if every character is printable ASCII or
// acceptable UTF-8 (see zeekUTF8), s is appended unchanged; otherwise each
// byte outside printable ASCII is appended as \xNN. The escaping is all or
// nothing so that a stretch of binary data does not come out as a mix of
// raw and escaped bytes.
func appendEscapedUTF8(dst []byte, s string, escapeControls bool) []byte {
	if zeekUTF8(s, escapeControls) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f || !escapeControls && printableControl(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '\\', 'x', hexLower[c>>4], hexLower[c&0xf])
		}
	}
	return dst
}

func printableControl(c byte) bool {
	return c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t'
}

// zeekUTF8 reports whether Zeek would pass s through unescaped: every byte
// is printable ASCII, or (when controls need no escaping) one of \b \f \n \r
// \t, or starts a valid UTF-8 sequence whose code point is not a control
// character (C0, DEL, C1), not in the Private Use Area U+E000–U+F8FF and not
// among the specials U+FFF0–U+FFFF.
func zeekUTF8(s string, escapeControls bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if !escapeControls && printableControl(c) {
				i++
				continue
			}
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 ||
			r <= 0x9f || // C1 controls
			r >= 0xe000 && r <= 0xf8ff ||
			r >= 0xfff0 && r <= 0xffff {
			return false
		}
		i += size
	}
	return true
}

// jsonPlain marks the bytes a JSON string may carry unchanged: printable
// ASCII except '"' and '\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a quoted JSON string the way Zeek's JSON
// writer does by default (Zeek's "legacy" string escaping): if s is printable
// ASCII or acceptable UTF-8 (see zeekUTF8, where \b \f \n \r \t are
// acceptable), it is written with only JSON's mandatory escapes ("\"", "\\",
// "\n", ...). Otherwise every byte outside printable ASCII other than those
// five controls is written as the four characters \xNN, which in JSON text
// reads \\xNN: "\\xd4\\x9a k".
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := plainPrefix(s, '"', '\\')
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, s[:i]...)
	valid := zeekUTF8(s[i:], false)
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case jsonPlain[c]:
			dst = append(dst, c)
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case valid && c >= utf8.RuneSelf:
			dst = append(dst, c) // part of an acceptable UTF-8 sequence
		case valid:
			// Unreachable: zeekUTF8 rejects the other controls.
			// Kept as JSON's own escape so the output stays valid JSON.
			dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
		default:
			dst = append(dst, '\\', '\\', 'x', hexLower[c>>4], hexLower[c&0xf])
		}
	}
	return append(dst, '"')
}

// appendUint appends v in decimal. Unlike strconv.AppendUint it writes the
// digits in place rather than copying them from a scratch buffer, which
// counts when a record has a dozen numbers.
func appendUint(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	n := (bits.Len64(v)*1233)>>12 + 1 // digits, or one too many
	if v < pow10[n-1] {
		n--
	}
	l := len(b)
	if cap(b)-l >= n {
		b = b[:l+n] // the common case: no copy, the digits are written below
	} else {
		b = append(b, zeros[:n]...)
	}
	i := l + n
	for v >= 100 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		b[i], b[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 {
		b[i-2], b[i-1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		b[i-1] = byte('0' + v)
	}
	return b
}

const (
	zeros      = "00000000000000000000"
	digitPairs = "00010203040506070809" +
		"10111213141516171819" +
		"20212223242526272829" +
		"30313233343536373839" +
		"40414243444546474849" +
		"50515253545556575859" +
		"60616263646566676869" +
		"70717273747576777879" +
		"80818283848586878889" +
		"90919293949596979899"
)

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}
