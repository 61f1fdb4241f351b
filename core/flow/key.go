// Package flow holds the identity of a connection: a direction-independent
// key usable as a map key, its hash for sharding, Zeek-style uids and the
// Community ID flow hash.
package flow

import (
	"encoding/binary"
	"net/netip"
)

// Key identifies a connection independently of direction: the two endpoints
// are stored in a canonical order (lower address first, then lower port), so
// a packet and its reply produce the same Key. It is a fixed-size comparable
// value with no pointers, cheap to hash and to keep in maps.
type Key struct {
	A, B   [16]byte // IPv4 addresses are IPv4-mapped IPv6
	PA, PB uint16
	Proto  uint8 // IP protocol number
}

// MakeKey builds the canonical key for a packet from src:sp to dst:dp and
// reports whether src is the B side of the key (the packet goes B→A).
func MakeKey(src, dst [16]byte, sp, dp uint16, proto uint8) (k Key, srcIsB bool) {
	if less(dst, dp, src, sp) {
		return Key{A: dst, B: src, PA: dp, PB: sp, Proto: proto}, true
	}
	return Key{A: src, B: dst, PA: sp, PB: dp, Proto: proto}, false
}

func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	ah, bh := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if ah != bh {
		return ah < bh
	}
	al, bl := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if al != bl {
		return al < bl
	}
	return pa < pb
}

// Hash is a deterministic 64-bit hash of the key. Because the key is
// canonical, the hash is the same for both directions of a connection; it
// does not depend on process or run, so sharding is reproducible.
func (k *Key) Hash() uint64 {
	h := uint64(0x9E3779B97F4A7C15) ^ uint64(k.Proto)
	h = mix(h ^ binary.LittleEndian.Uint64(k.A[:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.A[8:]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.B[:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.B[8:]))
	h = mix(h ^ (uint64(k.PA)<<16 | uint64(k.PB)))
	return h
}

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// Addr converts a 16-byte address as stored in keys and packets into a
// netip.Addr, unmapping IPv4.
func Addr(a [16]byte) netip.Addr {
	return netip.AddrFrom16(a).Unmap()
}

// IsV4 reports whether a stored address is IPv4-mapped.
func IsV4(a [16]byte) bool {
	return binary.BigEndian.Uint64(a[:8]) == 0 && binary.BigEndian.Uint32(a[8:12]) == 0xffff
}
