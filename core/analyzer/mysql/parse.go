package mysql

import (
	"bytes"
	"encoding/binary"
)

const (
	protocol10  = 10
	errPacket   = 0xff
	minGreeting = 1 + 2 + 4 + 8 + 1 + 2 // version, a 1-char server version and NUL, ids, scramble, filler, flags
	maxGreeting = 512
	maxVersion  = 64

	clientProtocol41 = 0x0200
	clientSSL        = 0x0800
	sslRequestLen    = 32
	// respLen is how much of the client's first packet the session looks
	// at: flags, maximum packet size, character set, filler and one byte
	// of the user name.
	respLen = 4 + 4 + 1 + 23 + 1
)

func packetLen(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// checkGreeting checks the payload of the server's first packet (protocol
// version 10).
func checkGreeting(p []byte) string {
	if len(p) < minGreeting || p[0] != protocol10 {
		return "not a protocol 10 greeting"
	}
	v := p[1:]
	end := bytes.IndexByte(v[:min(len(v), maxVersion+1)], 0)
	if end < 1 {
		return "no server version"
	}
	for _, c := range v[:end] {
		if c < 0x20 || c > 0x7e {
			return "server version is not printable"
		}
	}
	rest := v[end+1:]
	// connection id (4), scramble (8), filler (1), capability flags (2).
	if len(rest) < 4+8+1+2 || rest[12] != 0 {
		return "bad greeting fields"
	}
	return ""
}

// checkResponse checks the start of the client's first packet (p holds up
// to respLen bytes of a payload of length n) and reports whether it is an
// SSL request.
func checkResponse(p []byte, n int) (ssl bool, err string) {
	if len(p) < 4 {
		return false, "short response"
	}
	flags := binary.LittleEndian.Uint32(p)
	if flags&clientProtocol41 == 0 {
		// Protocol 320: 2-byte flags, 3-byte maximum packet size, user.
		if n < 2+3+1 {
			return false, "short 4.0 response"
		}
		return false, ""
	}
	if len(p) < 4+4+1+23 {
		return false, "short response"
	}
	for _, c := range p[9 : 9+23] {
		if c != 0 {
			return false, "filler is not zero"
		}
	}
	if n == sslRequestLen {
		if flags&clientSSL == 0 {
			return false, "32-byte response without CLIENT_SSL"
		}
		return true, ""
	}
	if n < respLen {
		return false, "short response"
	}
	return false, ""
}
