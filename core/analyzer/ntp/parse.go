package ntp

import "encoding/binary"

const headerLen = 48

// check returns why b is not a well-formed NTP message, or "".
func check(b []byte) string {
	if len(b) < 1 {
		return "empty datagram"
	}
	version := b[0] >> 3 & 7
	mode := b[0] & 7
	switch mode {
	case 0:
		return "reserved mode 0"
	case 6:
		// Control message: LI/VN/mode, R/E/M/opcode, sequence, status,
		// association id, offset, count, then count bytes of data.
		if version < 1 || version > 4 {
			return "bad version"
		}
		if len(b) < 12 {
			return "short control message"
		}
		if 12+int(binary.BigEndian.Uint16(b[10:12])) > len(b) {
			return "control message count beyond datagram"
		}
		return ""
	case 7:
		// ntpd private (mode 7) requests and replies: version 2 to 4 in
		// practice, an 8-byte header.
		if version < 2 || version > 4 {
			return "bad version"
		}
		if len(b) < 8 {
			return "short mode 7 message"
		}
		return ""
	}
	if version < 1 || version > 4 {
		return "bad version"
	}
	if len(b) < headerLen {
		return "short message"
	}
	if stratum := b[1]; stratum > 16 {
		return "stratum above 16"
	}
	// Poll is a signed log2 of seconds: RFC 5905 allows 4 to 17, and
	// clients commonly send 0 or small values; precision is a signed
	// log2 of seconds, at most 0 (one second) and above -64.
	if poll := int8(b[2]); poll < -7 || poll > 17 {
		return "poll out of range"
	}
	if prec := int8(b[3]); prec > 0 || prec < -64 {
		return "precision out of range"
	}
	if !trailerOK(b[headerLen:]) {
		return "bad extension fields or MAC"
	}
	return ""
}

// trailerOK checks what follows the 48-byte header: nothing, a MAC (key id
// and a 16- or 20-byte digest), a crypto-NAK (key id 0), or NTPv4
// extension fields (RFC 7822), each at least 16 bytes and a multiple of
// four, optionally followed by a MAC.
func trailerOK(t []byte) bool {
	for {
		switch len(t) {
		case 0, 4, 20, 24:
			return true
		}
		if len(t) < 16 {
			return false
		}
		n := int(binary.BigEndian.Uint16(t[2:4]))
		if n < 16 || n%4 != 0 || n > len(t) {
			return false
		}
		t = t[n:]
	}
}

// detectable reports whether b is an NTP message that stands out from
// other protocols' datagrams, for detection off the NTP port.
func detectable(b []byte) bool {
	switch len(b) {
	case headerLen, headerLen + 20, headerLen + 24:
	default:
		return false
	}
	mode := b[0] & 7
	if mode < 1 || mode > 5 || check(b) != "" {
		return false
	}
	version := b[0] >> 3 & 7
	if version < 3 {
		return false
	}
	zero := func(p []byte) bool {
		for _, c := range p {
			if c != 0 {
				return false
			}
		}
		return true
	}
	switch mode {
	case 3: // client: the transmit timestamp is its clock
		return !zero(b[40:48])
	case 4, 5: // server, broadcast: a synchronized server has a reference time
		stratum := b[1]
		return stratum >= 1 && stratum <= 15 && !zero(b[16:24]) && !zero(b[40:48])
	}
	return !zero(b[40:48])
}

// reversed reports whether a well-formed message shows the roles reversed:
// a server's message (mode 4) from the originator, or a client's (mode 3)
// from the responder. Zeek's NTP analyzer then flips the connection.
func reversed(isOrig bool, b []byte) bool {
	const client, server = 3, 4
	mode := b[0] & 7
	return mode == server && isOrig || mode == client && !isOrig
}
