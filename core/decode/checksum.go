package decode

import (
	"encoding/binary"
	"math/bits"
)

// The Internet checksum (RFC 1071) is the one's complement of the one's
// complement sum of 16-bit big-endian words. One's complement addition is
// associative, commutative and independent of byte order (RFC 1071 §2(B)),
// so csum adds 64-bit little-endian loads with end-around carry and swaps
// the two bytes of the folded result once at the end.

// csumAdd returns the running one's complement sum of b added to acc. acc
// and the result are partial sums in the little-endian domain, not folded;
// b must start at an even offset of the checksummed message.
func csumAdd(acc uint64, b []byte) uint64 {
	var c uint64
	for len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[0:8]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[8:16]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[16:24]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[24:32]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	if len(b) >= 4 {
		acc, c = bits.Add64(acc, uint64(binary.LittleEndian.Uint32(b)), c)
		b = b[4:]
	}
	if len(b) >= 2 {
		acc, c = bits.Add64(acc, uint64(binary.LittleEndian.Uint16(b)), c)
		b = b[2:]
	}
	if len(b) == 1 {
		// A trailing odd byte is the high byte of a zero-padded big-endian
		// word, which is the low byte of the little-endian one.
		acc, c = bits.Add64(acc, uint64(b[0]), c)
	}
	acc, c = bits.Add64(acc, 0, c)
	return acc + c // cannot carry again: acc is at most 2^64-2 after a carry
}

// csumFold folds a little-endian partial sum to the 16-bit big-endian one's
// complement sum. A non-empty message with any non-zero word folds to a value
// in [1, 0xFFFF], so a correct checksum yields exactly 0xFFFF, whichever of
// the two representations of zero (0x0000, 0xFFFF) the sender put in the
// checksum field.
func csumFold(acc uint64) uint16 {
	s := (acc >> 32) + (acc & 0xFFFFFFFF)
	s = (s >> 32) + (s & 0xFFFFFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	return bits.ReverseBytes16(uint16(s))
}

// Checksum returns the Internet checksum of b: the value a sender puts in a
// checksum field that was zero while b was summed.
func Checksum(b []byte) uint16 {
	return ^csumFold(csumAdd(0, b))
}

// pseudoSum is the partial sum of the TCP/UDP/ICMPv6 pseudo-header. For IPv4
// (RFC 793) it covers the 4-byte addresses, for IPv6 (RFC 8200 §8.1) the
// 16-byte ones; the zero bytes of either add nothing, and the word order of
// proto and length does not matter to the sum.
func pseudoSum(p *Packet, proto uint8, length int) uint64 {
	var acc uint64
	if p.IPVersion == 4 {
		acc = csumAdd(0, p.Src[12:16])
		acc = csumAdd(acc, p.Dst[12:16])
	} else {
		acc = csumAdd(0, p.Src[:])
		acc = csumAdd(acc, p.Dst[:])
	}
	// Big-endian words in the little-endian domain are byte-swapped.
	acc += uint64(bits.ReverseBytes16(uint16(proto)))
	acc += uint64(bits.ReverseBytes16(uint16(length)))
	acc += uint64(bits.ReverseBytes16(uint16(length >> 16)))
	return acc
}
