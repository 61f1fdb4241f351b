package syslog

import (
	"bytes"
	"unicode/utf8"
)

// priority parses "<PRI>" at the start of b (0 to 191, no leading zeros)
// and returns what follows it.
func priority(b []byte) ([]byte, bool) {
	if len(b) < 3 || b[0] != '<' {
		return nil, false
	}
	v, i := 0, 1
	for ; i < len(b) && i <= 4 && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + int(b[i]-'0')
	}
	digits := i - 1
	if digits == 0 || digits > 3 || i >= len(b) || b[i] != '>' || v > 191 || (digits > 1 && b[1] == '0') {
		return nil, false
	}
	return b[i+1:], true
}

// check returns why b is not a syslog message, or "".
func check(b []byte) string {
	if len(b) == 0 {
		return "empty datagram"
	}
	if _, ok := priority(b); ok {
		return ""
	}
	b = bytes.TrimRight(b, "\x00\r\n")
	if len(b) == 0 || !utf8.Valid(b) {
		return "not text"
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return "not text"
		}
	}
	return ""
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// detectable reports a priority followed by an RFC 5424 version or an
// RFC 3164 timestamp ("Mmm dd hh:mm:ss ", the day space-padded).
func detectable(b []byte) bool {
	rest, ok := priority(b)
	if !ok {
		return false
	}
	if bytes.HasPrefix(rest, []byte("1 ")) {
		return true
	}
	if len(rest) < 16 {
		return false
	}
	month := false
	for _, m := range months {
		if string(rest[:3]) == m {
			month = true
		}
	}
	d := func(c byte) bool { return c >= '0' && c <= '9' }
	return month && rest[3] == ' ' && (rest[4] == ' ' || d(rest[4])) && d(rest[5]) && rest[6] == ' ' &&
		d(rest[7]) && d(rest[8]) && rest[9] == ':' && d(rest[10]) && d(rest[11]) && rest[12] == ':' &&
		d(rest[13]) && d(rest[14]) && rest[15] == ' '
}
