package main

import (
	"encoding/binary"
)

// A linkFunc wraps an IP packet from src to dst in a link-layer frame.
type linkFunc func(src, dst *host, ip []byte) []byte

func etherTypeOf(ip []byte) uint16 {
	if len(ip) > 0 && ip[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

// padEthernet pads a frame to the 60-byte minimum (without FCS), as frames
// are on the wire: a decoder must take lengths from the IP header, not from
// the frame.
func padEthernet(f []byte) []byte {
	for len(f) < 60 {
		f = append(f, 0)
	}
	return f
}

func ethHeader(src, dst *host) []byte {
	d, s := dst.linkMAC(), src.mac
	f := make([]byte, 0, 1514)
	f = append(f, d[:]...)
	return append(f, s[:]...)
}

func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// ethernet is Ethernet II.
func ethernet(src, dst *host, ip []byte) []byte {
	f := be16(ethHeader(src, dst), etherTypeOf(ip))
	return padEthernet(append(f, ip...))
}

// vlan is Ethernet with one 802.1Q tag per VID, outermost first, each
// with its own TPID (0x8100 or 0x88a8).
func vlan(tags ...[2]uint16) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		f := ethHeader(src, dst)
		for _, t := range tags {
			f = be16(f, t[0])
			f = be16(f, t[1]&0x0fff) // PCP 0, DEI 0
		}
		f = be16(f, etherTypeOf(ip))
		return padEthernet(append(f, ip...))
	}
}

// mpls is Ethernet carrying an MPLS label stack (ethertype 0x8847). MPLS
// has no next-protocol field: the decoder looks at the IP version nibble.
func mpls(labels ...uint32) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		f := be16(ethHeader(src, dst), 0x8847)
		for i, l := range labels {
			v := l<<12 | 64 // TC 0, TTL 64
			if i == len(labels)-1 {
				v |= 1 << 8 // bottom of stack
			}
			f = be32(f, v)
		}
		return padEthernet(append(f, ip...))
	}
}

// pppoe is Ethernet carrying a PPPoE session (0x8864) and PPP.
func pppoe(session uint16) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		f := be16(ethHeader(src, dst), 0x8864)
		f = append(f, 0x11, 0x00) // version 1, type 1, code 0 (session data)
		f = be16(f, session)
		f = be16(f, uint16(2+len(ip)))
		f = be16(f, pppProto(ip))
		return padEthernet(append(f, ip...))
	}
}

func pppProto(ip []byte) uint16 {
	if ip[0]>>4 == 6 {
		return 0x0057
	}
	return 0x0021
}

// ppp is LINKTYPE_PPP (9): address 0xff, control 0x03, protocol.
func ppp(src, dst *host, ip []byte) []byte {
	f := []byte{0xff, 0x03}
	f = be16(f, pppProto(ip))
	return append(f, ip...)
}

// snap is an IEEE 802.3 frame (length instead of ethertype) with an
// LLC/SNAP header carrying the ethertype.
func snap(src, dst *host, ip []byte) []byte {
	f := be16(ethHeader(src, dst), uint16(8+len(ip)))
	f = append(f, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00) // DSAP, SSAP, UI, OUI 0
	f = be16(f, etherTypeOf(ip))
	return padEthernet(append(f, ip...))
}

// isLocal reports whether h has one of the addresses of the capturing
// host.
func isLocal(h *host, locals []string) bool {
	for _, l := range locals {
		if h.addr.String() == l {
			return true
		}
	}
	return false
}

// sll is Linux cooked capture v1 (113) seen from the host whose addresses
// are locals: packets it sends are "outgoing" (4), packets it receives are
// "to us" (0).
func sll(locals ...string) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		var pt uint16
		if isLocal(src, locals) {
			pt = 4
		}
		f := be16(nil, pt)
		f = be16(f, 1) // ARPHRD_ETHER
		f = be16(f, 6)
		f = append(f, src.mac[:]...)
		f = append(f, 0, 0)
		f = be16(f, etherTypeOf(ip))
		return append(f, ip...)
	}
}

// sll2 is Linux cooked capture v2 (276).
func sll2(ifindex uint32, locals ...string) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		var pt byte
		if isLocal(src, locals) {
			pt = 4
		}
		f := be16(nil, etherTypeOf(ip))
		f = be16(f, 0) // reserved
		f = be32(f, ifindex)
		f = be16(f, 1) // ARPHRD_ETHER
		f = append(f, pt, 6)
		f = append(f, src.mac[:]...)
		f = append(f, 0, 0)
		return append(f, ip...)
	}
}

// raw is LINKTYPE_RAW (101) and LINKTYPE_IPV4/IPV6 (228/229): the IP
// packet alone.
func raw(src, dst *host, ip []byte) []byte { return append([]byte(nil), ip...) }

// BSD address families as the null and loop link types carry them.
const (
	afInet         = 2
	afInet6BSD     = 24 // NetBSD, OpenBSD, BSD/OS
	afInet6FreeBSD = 28
	afInet6Darwin  = 30
)

// null is LINKTYPE_NULL (0): a 4-byte family in the writer's byte order,
// here little-endian. The IPv6 family is whichever the script asks for.
func null(v6family uint32) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		fam := uint32(afInet)
		if ip[0]>>4 == 6 {
			fam = v6family
		}
		return append(le32(nil, fam), ip...)
	}
}

// loop is LINKTYPE_LOOP (108): the family in network byte order.
func loop(src, dst *host, ip []byte) []byte {
	fam := uint32(afInet)
	if ip[0]>>4 == 6 {
		fam = afInet6BSD
	}
	return append(be32(nil, fam), ip...)
}

// nflog TLV types (linux/netfilter/nfnetlink_log.h).
const (
	nfulaPacketHdr = 1
	nfulaPayload   = 9
	nfulaPrefix    = 10
)

// nflogTLV appends one TLV: length (header included, padding excluded)
// and type in host byte order, little-endian here, value padded to 4.
func nflogTLV(f []byte, typ uint16, v []byte) []byte {
	f = le16(f, uint16(4+len(v)))
	f = le16(f, typ)
	f = append(f, v...)
	for len(f)%4 != 0 {
		f = append(f, 0)
	}
	return f
}

// nflog is LINKTYPE_NFLOG (239): family, version 0, resource id (big
// endian), then TLVs: the packet header (hardware protocol and hook), a
// log prefix, and the payload.
func nflog(group uint16, prefix string) linkFunc {
	return func(src, dst *host, ip []byte) []byte {
		fam := byte(2) // AF_INET
		if ip[0]>>4 == 6 {
			fam = 10 // AF_INET6 (Linux)
		}
		f := []byte{fam, 0}
		f = be16(f, group)
		hdr := be16(nil, etherTypeOf(ip))
		hdr = append(hdr, 1, 0) // NF_INET_LOCAL_IN, pad
		f = nflogTLV(f, nfulaPacketHdr, hdr)
		f = nflogTLV(f, nfulaPrefix, append([]byte(prefix), 0))
		return nflogTLV(f, nfulaPayload, ip)
	}
}
