package flow

import (
	"crypto/sha256"
	"encoding/binary"
)

// UIDGen derives connection uids deterministically from a seed, the
// connection's key and its first timestamp, so the same input always gives
// the same uids (Zeek draws them at random; we need reproducible logs). The
// format follows Zeek's: "C" followed by base62 digits of 96 bits.
type UIDGen struct {
	seed [8]byte
}

// NewUIDGen returns a generator for the given seed.
func NewUIDGen(seed uint64) *UIDGen {
	g := &UIDGen{}
	binary.LittleEndian.PutUint64(g.seed[:], seed)
	return g
}

// UID returns the uid of the connection with key k first seen at ts (ns).
// serial distinguishes connections with the same key and timestamp.
func (g *UIDGen) UID(k *Key, ts int64, serial uint32) string {
	var buf [8 + 16 + 16 + 2 + 2 + 1 + 8 + 4]byte
	copy(buf[0:], g.seed[:])
	copy(buf[8:], k.A[:])
	copy(buf[24:], k.B[:])
	binary.BigEndian.PutUint16(buf[40:], k.PA)
	binary.BigEndian.PutUint16(buf[42:], k.PB)
	buf[44] = k.Proto
	binary.BigEndian.PutUint64(buf[45:], uint64(ts))
	binary.BigEndian.PutUint32(buf[53:], serial)
	sum := sha256.Sum256(buf[:])
	a := binary.BigEndian.Uint64(sum[0:8])
	b := uint64(binary.BigEndian.Uint32(sum[8:12]))
	var out [1 + 11 + 6]byte
	out[0] = 'C'
	n := 1
	n = appendBase62(out[:], n, a)
	n = appendBase62(out[:], n, b)
	return string(out[:n])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendBase62 writes v in base 62, least significant digit first as Zeek
// does, into out at n and returns the new length.
func appendBase62(out []byte, n int, v uint64) int {
	for {
		out[n] = base62[v%62]
		n++
		v /= 62
		if v == 0 {
			return n
		}
	}
}
