package radius

import "encoding/binary"

const (
	headerLen = 20 // code, identifier, length, authenticator
	maxLen    = 4096
)

func knownCode(c byte) bool {
	switch {
	case c >= 1 && c <= 5, c >= 11 && c <= 13, c >= 40 && c <= 45:
		return true
	}
	return false
}

// check returns why b is not a RADIUS packet, or "".
func check(b []byte) string {
	if len(b) < headerLen {
		return "shorter than a RADIUS header"
	}
	if !knownCode(b[0]) {
		return "unknown code"
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < headerLen || n > maxLen || n > len(b) {
		return "length out of range"
	}
	attrs := b[headerLen:n]
	for len(attrs) > 0 {
		if len(attrs) < 2 || attrs[0] == 0 || attrs[1] < 2 || int(attrs[1]) > len(attrs) {
			return "attribute beyond the packet"
		}
		attrs = attrs[attrs[1]:]
	}
	return ""
}

// detectable is check made stricter for traffic off the RADIUS port.
func detectable(b []byte) bool {
	if check(b) != "" || len(b) == headerLen {
		return false
	}
	if int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
		return false
	}
	return b[0] <= 5 || b[0] == 11
}
