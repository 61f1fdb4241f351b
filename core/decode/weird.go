package decode

import (
	"math/bits"
	"strings"
)

// Weird names that end decoding (Status Weird, in Packet.Weird). They are
// Zeek's names for the same anomalies, so weird.log reads the same; the few
// that Zeek has no name for are marked weir-specific.
const (
	// Link layers.
	weirdTruncatedEthernet   = "truncated_ethernet_frame"
	weirdUndefinedEtherType  = "undefined_ether_type"
	weirdUndefinedVLANProto  = "undefined_vlan_protocol"
	weirdTruncatedVLAN       = "truncated_VLAN_header"
	weirdTruncatedLink       = "truncated_link_header" // MPLS label stack, LLC/SNAP
	weirdTruncatedPPPoE      = "truncated_pppoe_header"
	weirdTruncatedSLL        = "truncated_Linux_SLL_header"
	weirdTruncatedSLL2       = "truncated_Linux_SLL2_header"
	weirdTruncatedPPPSerial  = "truncated_ppp_serial_header"
	weirdNullFailed          = "null_analyzer_failed"
	weirdTruncatedNFLOG      = "truncated_nflog_header"
	weirdUnknownNFLOGVersion = "unknown_nflog_version"
	weirdNFLOGNoPayload      = "nflog_no_pcap_payload"
	weirdNFLOGBadTLVLen      = "nflog_bad_tlv_len"

	// IP.
	weirdTruncatedIP         = "truncated_IP"
	weirdUnknownIPVersion    = "unknown_ip_version"
	weirdIPHdrLenZero        = "ip_hdr_len_zero"
	weirdTruncatedIPLen      = "truncated_IP_len"
	weirdInvalidIPHeaderSize = "invalid_IP_header_size"
	weirdInternallyTruncated = "internally_truncated_header"
	weirdIPv4MinHeaderSize   = "IPv4_min_header_size"
	weirdBadIPChecksum       = "bad_IP_checksum"
	weirdIPv6NoNext          = "ipv6_no_next"
	weirdIncompleteFragment  = "incompletely_captured_fragment"
	weirdLargeFragment       = "excessively_large_fragment"
	weirdFragmentLimit       = "fragment_limit_exceeded" // weir-specific: see README
	weirdNestedFragment      = "nested_IPv6_fragment"    // weir-specific: see README
	weirdTruncatedHeader     = "truncated_header"
	weirdBadTCPHeaderLen     = "bad_TCP_header_len"

	// IP-level tunnels (IP-in-IP, GRE); the GRE ones are the names of
	// WeirdSet members too, for GRE-in-UDP.
	weirdExceededTunnelDepth       = "exceeded_tunnel_max_depth"
	weirdInvalidInnerIPVersion     = "invalid_inner_IP_version"
	weirdTruncatedInnerIP          = "truncated_inner_IP"
	weirdInnerIPPayloadLenMismatch = "inner_IP_payload_length_mismatch"
)

// statusWeirds are the names Status Weird can carry, each mapped to its
// form for a packet inside a tunnel: Zeek's session manager appends
// "_in_tunnel" to the weirds its packet analyzers report for a packet with
// an encapsulation.
var statusWeirds = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		weirdTruncatedEthernet, weirdUndefinedEtherType, weirdUndefinedVLANProto, weirdTruncatedVLAN,
		weirdTruncatedLink, weirdTruncatedPPPoE, weirdTruncatedSLL, weirdTruncatedSLL2,
		weirdTruncatedPPPSerial, weirdNullFailed, weirdTruncatedNFLOG, weirdUnknownNFLOGVersion,
		weirdNFLOGNoPayload, weirdNFLOGBadTLVLen,
		weirdTruncatedIP, weirdUnknownIPVersion, weirdIPHdrLenZero, weirdTruncatedIPLen,
		weirdInvalidIPHeaderSize, weirdInternallyTruncated, weirdIPv4MinHeaderSize, weirdBadIPChecksum,
		weirdIPv6NoNext, weirdIncompleteFragment, weirdLargeFragment, weirdFragmentLimit,
		weirdNestedFragment, weirdTruncatedHeader, weirdBadTCPHeaderLen,
		weirdExceededTunnelDepth, weirdInvalidInnerIPVersion, weirdTruncatedInnerIP,
		weirdInnerIPPayloadLenMismatch,
	} {
		m[n] = n + inTunnelSuffix
	}
	for i, n := range weirdSetNames {
		if weirdSetPacket&(1<<i) != 0 {
			m[n] = n + inTunnelSuffix
		}
	}
	return m
}()

const inTunnelSuffix = "_in_tunnel"

// WeirdSet is a set of anomalies that Zeek reports as weirds while it still
// processes the packet. Decode records them in Packet.ExtraWeird whatever the
// Status; the caller reports each one (as a connection weird when Status is
// OK, as a flow weird otherwise). The zero value is the empty set.
type WeirdSet uint32

// Members of a WeirdSet. Their names (WeirdSet.Names) are Zeek's.
const (
	// An IPv4 fragment with DF set (Linux PMTU discovery for UDP does it).
	WeirdFragmentWithDF WeirdSet = 1 << iota
	// A fragment overlaps bytes already held, with the same content.
	WeirdFragmentOverlap
	// A fragment overlaps bytes already held, with different content; the
	// bytes first seen are kept.
	WeirdFragmentInconsistency
	// A fragment reaches past 64000 bytes of payload (Zeek's threshold).
	WeirdExcessivelyLargeFragment
	// A fragment that is not the last is shorter than 64 bytes.
	WeirdExcessivelySmallFragment
	// Last fragments disagree on the datagram size, or a fragment reaches
	// past the size a last fragment gave.
	WeirdFragmentSizeInconsistency
	// IPv6 fragments of one datagram disagree on the next header or the
	// length of the unfragmentable part.
	WeirdFragmentProtocolInconsistency
	// The first fragment was cut by the snap length: it is decoded on its
	// own, not reassembled.
	WeirdIncompletelyCapturedFragment
	// The UDP length field differs from the IP payload length.
	WeirdUDPDatagramLengthMismatch
	// The IPv4 total length was 0 (TCP segmentation offload) and checksums
	// are not checked: the captured length was used instead.
	WeirdIPHdrLenZero
	// A third (or deeper) VLAN tag: its id replaced InnerVLAN.
	WeirdTripleTaggedVLAN
	// An IPv6 type 0 routing header (deprecated by RFC 5095) with segments
	// left (Dst is then its final address) or without.
	WeirdRouting0SegLeft
	WeirdRouting0Hdr

	// Tunnels. A UDP-based tunnel packet inside as many tunnels as
	// Config.MaxTunnelDepth allows: not decapsulated (GTP's name for it is
	// tunnel_depth).
	WeirdExceededTunnelDepth
	WeirdTunnelDepth
	// A VXLAN, Geneve or AYIYA header with nothing after it.
	WeirdVXLANEmptyPacket
	WeirdGeneveEmptyPacket
	// A Geneve version other than 0: not decapsulated.
	WeirdGeneveInvalidVersion
	WeirdAYIYAEmptyPacket
	// A Teredo bubble (an empty IPv6 packet) with data after it: still
	// decapsulated.
	WeirdTeredoBubbleWithPayload
	// GRE-in-UDP whose GRE header is malformed: not decapsulated. For GRE
	// in IP the same anomalies end decoding (Status Weird, same names).
	WeirdTruncatedGRE
	WeirdUnknownGREVersion
	WeirdEGREProtocolType // enhanced GRE (version 1) not carrying PPP
	WeirdGRERouting       // the RFC 1701 routing field, which nobody parses
	WeirdUnknownGREFlags  // reserved flag bits set
	WeirdNonIPPacketInEncap
	// An ERSPAN header cut short or of an unknown version. Zeek reports
	// these for the packet built from the GRE payload, hence the name.
	WeirdTruncatedERSPAN
	WeirdUnknownERSPANVersion

	weirdSetEnd
)

// weirdSetPacket are the members Zeek reports through its packet
// analyzers, whose weirds get "_in_tunnel" appended when the packet is
// inside a tunnel; the others are connection or fragment weirds, or are
// named for the inner packet already.
const weirdSetPacket = WeirdIncompletelyCapturedFragment | WeirdIPHdrLenZero | WeirdTripleTaggedVLAN |
	WeirdExceededTunnelDepth | WeirdVXLANEmptyPacket | WeirdGeneveEmptyPacket | WeirdGeneveInvalidVersion |
	WeirdAYIYAEmptyPacket | WeirdTruncatedGRE | WeirdUnknownGREVersion | WeirdEGREProtocolType |
	WeirdGRERouting | WeirdUnknownGREFlags | WeirdNonIPPacketInEncap

// Compile-time check that every member has exactly one name.
var _ = [1]struct{}{}[weirdSetEnd>>len(weirdSetNames)-1]

var weirdSetNames = [...]string{
	"fragment_with_DF",
	"fragment_overlap",
	"fragment_inconsistency",
	"excessively_large_fragment",
	"excessively_small_fragment",
	"fragment_size_inconsistency",
	"fragment_protocol_inconsistency",
	"incompletely_captured_fragment",
	"UDP_datagram_length_mismatch",
	"ip_hdr_len_zero",
	"triple_tagged_vlan_unsupported",
	"routing0_segleft",
	"routing0_hdr",
	"exceeded_tunnel_max_depth",
	"tunnel_depth",
	"vxlan_empty_packet",
	"geneve_empty_packet",
	"geneve_invalid_version",
	"ayiya_empty_packet",
	"Teredo_bubble_with_payload",
	"truncated_GRE",
	"unknown_gre_version",
	"egre_protocol_type",
	"gre_routing",
	"unknown_gre_flags",
	"non_ip_packet_in_encap",
	"truncated_ERSPAN_in_tunnel",
	"unknown_ERSPAN_version_in_tunnel",
}

// weirdSetNamesInTunnel are the names of the members for a packet inside a
// tunnel.
var weirdSetNamesInTunnel = func() (n [len(weirdSetNames)]string) {
	for i, name := range weirdSetNames {
		n[i] = name
		if weirdSetPacket&(1<<i) != 0 {
			n[i] = name + inTunnelSuffix
		}
	}
	return n
}()

// Has reports whether every member of w is in s.
func (s WeirdSet) Has(w WeirdSet) bool { return s&w == w }

// Len is the number of members of s.
func (s WeirdSet) Len() int { return bits.OnesCount32(uint32(s)) }

// AppendNames appends the Zeek name of each member of s to dst, in the order
// of the constants, and returns the extended slice. It does not allocate
// when dst has room.
func (s WeirdSet) AppendNames(dst []string) []string {
	for s != 0 {
		i := bits.TrailingZeros32(uint32(s))
		s &^= 1 << i
		dst = append(dst, weirdSetNames[i])
	}
	return dst
}

// AppendNamesInTunnel is AppendNames for a packet inside a tunnel: the
// members Zeek reports through its packet analyzers get "_in_tunnel"
// appended, as Zeek does.
func (s WeirdSet) AppendNamesInTunnel(dst []string) []string {
	for s != 0 {
		i := bits.TrailingZeros32(uint32(s))
		s &^= 1 << i
		dst = append(dst, weirdSetNamesInTunnel[i])
	}
	return dst
}

// name is the Zeek name of w, a single member.
func (w WeirdSet) name() string { return weirdSetNames[bits.TrailingZeros32(uint32(w))] }

// String joins the names with ",", for messages and tests.
func (s WeirdSet) String() string {
	var buf [len(weirdSetNames)]string
	return strings.Join(s.AppendNames(buf[:0]), ",")
}
