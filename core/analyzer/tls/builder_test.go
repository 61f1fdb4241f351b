package tls

// Builders of handshake messages and records for tests and fuzz seeds.

type ext struct {
	typ  uint16
	data []byte
}

func u16b(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func u24b(n int) []byte { return []byte{byte(n >> 16), byte(n >> 8), byte(n)} }

func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }
func vec16(b []byte) []byte { return append(u16b(uint16(len(b))), b...) }
func vec24(b []byte) []byte { return append(u24b(len(b)), b...) }

func u16list(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, u16b(v)...)
	}
	return b
}

func sniExt(names ...string) ext {
	var list []byte
	for _, n := range names {
		list = append(list, 0)
		list = append(list, vec16([]byte(n))...)
	}
	return ext{extServerName, vec16(list)}
}

func alpnExt(protos ...string) ext {
	var list []byte
	for _, p := range protos {
		list = append(list, vec8([]byte(p))...)
	}
	return ext{extALPN, vec16(list)}
}

func groupsExt(gs ...uint16) ext   { return ext{extSupportedGroups, vec16(u16list(gs...))} }
func pointsExt(ps ...byte) ext     { return ext{extECPointFormats, vec8(ps)} }
func sigAlgsExt(ss ...uint16) ext  { return ext{extSignatureAlgs, vec16(u16list(ss...))} }
func versionsExt(vs ...uint16) ext { return ext{extSupportedVersions, vec8(u16list(vs...))} }
func serverVersionExt(v uint16) ext {
	return ext{extSupportedVersions, u16b(v)}
}
func serverKeyShareExt(group uint16) ext {
	return ext{extKeyShare, append(u16b(group), vec16(make([]byte, 32))...)}
}

func extBlock(exts []ext) []byte {
	var b []byte
	for _, e := range exts {
		b = append(b, u16b(e.typ)...)
		b = append(b, vec16(e.data)...)
	}
	return vec16(b)
}

// handshakeMsg wraps a body in a TLS handshake header.
func handshakeMsg(typ byte, body []byte) []byte {
	return append(append([]byte{typ}, u24b(len(body))...), body...)
}

// clientHelloMsg builds a ClientHello handshake message.
func clientHelloMsg(version uint16, sid []byte, ciphers []uint16, exts []ext) []byte {
	b := u16b(version)
	b = append(b, make([]byte, 32)...)
	b = append(b, vec8(sid)...)
	if version == versionDTLSv10 || version == versionDTLSv12 {
		b = append(b, 0) // empty cookie
	}
	b = append(b, vec16(u16list(ciphers...))...)
	b = append(b, 1, 0) // null compression
	if exts != nil {
		b = append(b, extBlock(exts)...)
	}
	return handshakeMsg(hsClientHello, b)
}

// serverHelloMsg builds a ServerHello (random may be nil for zeros).
func serverHelloMsg(version uint16, random, sid []byte, cipher uint16, exts []ext) []byte {
	if random == nil {
		random = make([]byte, 32)
	}
	b := append(u16b(version), random...)
	b = append(b, vec8(sid)...)
	b = append(b, u16b(cipher)...)
	b = append(b, 0)
	if exts != nil {
		b = append(b, extBlock(exts)...)
	}
	return handshakeMsg(hsServerHello, b)
}

func certificateMsg(certs ...[]byte) []byte {
	var list []byte
	for _, c := range certs {
		list = append(list, vec24(c)...)
	}
	return handshakeMsg(hsCertificate, vec24(list))
}

// tlsRecord wraps a payload in a TLS record header.
func tlsRecord(ctype byte, version uint16, payload []byte) []byte {
	return append(append([]byte{ctype}, u16b(version)...), vec16(payload)...)
}

// dtlsRecord wraps a payload in a DTLS record header (epoch, seq).
func dtlsRecord(ctype byte, version, epoch uint16, seq uint64, payload []byte) []byte {
	b := append([]byte{ctype}, u16b(version)...)
	b = append(b, u16b(epoch)...)
	b = append(b, byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq))
	return append(b, vec16(payload)...)
}

// dtlsHandshake builds a DTLS handshake fragment from a TLS handshake
// message.
func dtlsHandshake(msg []byte, msgSeq uint16, off, n int) []byte {
	body := msg[4:]
	b := []byte{msg[0]}
	b = append(b, u24b(len(body))...)
	b = append(b, u16b(msgSeq)...)
	b = append(b, u24b(off)...)
	b = append(b, u24b(n)...)
	return append(b, body[off:off+n]...)
}
