package dns

import "strconv"

const hexDigits = "0123456789abcdef"

// appendHex appends b as lower-case hex (Zeek's bytestring_to_hexstr).
func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// appendIPv4 appends a dotted quad.
func appendIPv4(dst []byte, v uint32) []byte {
	for i := 3; i >= 0; i-- {
		dst = strconv.AppendUint(dst, uint64(byte(v>>(8*i))), 10)
		if i > 0 {
			dst = append(dst, '.')
		}
	}
	return dst
}

// appendAddr16 appends an address from an AAAA record as Zeek prints an
// addr: IPv4-mapped addresses (::ffff:a.b.c.d) as IPv4, others as
// inet_ntop(3) does, which also writes IPv4-compatible addresses
// (::a.b.c.d) with a dotted tail. net/netip differs from inet_ntop in that
// last case, so this does not use it.
func appendAddr16(dst []byte, a [16]byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	if w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0xffff {
		return appendIPv4(dst, uint32(w[6])<<16|uint32(w[7]))
	}
	// The longest run of zero words, at least two long, first on ties.
	best, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		best = -1
	}
	for i := 0; i < 8; i++ {
		if i == best {
			dst = append(dst, ':')
			i += bestLen - 1
			if i == 7 {
				dst = append(dst, ':')
			}
			continue
		}
		if i > 0 {
			dst = append(dst, ':')
		}
		// inet_ntop writes an IPv4-compatible tail as a dotted quad.
		if i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && w[5] == 0xffff) {
			return appendIPv4(dst, uint32(w[6])<<16|uint32(w[7]))
		}
		dst = strconv.AppendUint(dst, uint64(w[i]), 16)
	}
	return dst
}

// decodeNetbiosName decodes a NetBIOS first-level encoded name (32 letters
// A-P, case-insensitive) as Zeek's decode_netbios_name: the first 15 of the
// 16 bytes (the 16th is the name type), trailing spaces and NULs removed.
// It returns nil for anything else.
func decodeNetbiosName(name []byte, out *[16]byte) []byte {
	if len(name) != 32 {
		return nil
	}
	for i := 0; i < 16; i++ {
		hi, lo := name[2*i]&^0x20, name[2*i+1]&^0x20 // upper case
		if hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P' {
			return nil
		}
		out[i] = (hi-'A')<<4 | (lo - 'A')
	}
	n := 15
	for n > 0 && (out[n-1] == ' ' || out[n-1] == 0) {
		n--
	}
	if n == 0 {
		return nil
	}
	return out[:n]
}
