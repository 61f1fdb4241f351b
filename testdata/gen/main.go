// Command gen writes the capture files in testdata/pcaps: every file is a
// scripted scenario with fixed addresses, timestamps and sequence numbers,
// so running it again gives byte-identical files.
//
//	go run ./testdata/gen -o testdata/pcaps   # (re)write every file
//	go run ./testdata/gen -check              # fail if a committed file differs
//	go run ./testdata/gen -list               # the table in testdata/README.md
//	go run ./testdata/gen -flood N -o FILE    # N one-SYN flows, for memory bounds
//	go run ./testdata/gen -short-http N -o FILE # N short HTTP connections, for benchmarks
//	go run ./testdata/gen -dns N -o FILE        # N DNS query/answer pairs over UDP, for benchmarks
//
// real_*.pcap files come from testdata/capture.sh, not from here; -check
// leaves them alone.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gopacket/gopacket/layers"
	"github.com/klauspost/compress/zstd"
)

// scenario is one file: its name, its slot (the hour after the epoch at
// which its clock starts; never reuse or renumber one, or files read
// together would overlap), what it holds, and how to build it.
type scenario struct {
	file  string
	slot  int
	desc  string
	build func(slot int) []byte
}

// onLink runs a script on a capture of the given link type and writes it
// as a microsecond pcap.
func onLink(lt layers.LinkType, link linkFunc, script func(*capture)) func(int) []byte {
	return func(slot int) []byte {
		c := newCapture(slot, lt, link)
		script(c)
		return c.pcap()
	}
}

func eth(script func(*capture)) func(int) []byte {
	return onLink(layers.LinkTypeEthernet, ethernet, script)
}

// Link types gopacket has no name for, as numbered by pcap.
const (
	linkTypePPP   = layers.LinkType(9)
	linkTypeIPv4  = layers.LinkType(228)
	linkTypeIPv6  = layers.LinkType(229)
	linkTypeSLL2  = layers.LinkType(276)
	linkTypeNFLOG = layers.LinkType(239)
)

const splitSlot = 80

var scenarios = []scenario{
	// TCP
	{"tcp_sf.pcap", 1, "Complete HTTP connection: handshake, GET, 200 response, FIN by client. Zeek: SF ShADadFf", eth(tcpSF)},
	{"tcp_rej.pcap", 2, "SYN answered by RST-ACK (closed port 8080). Zeek: REJ Sr", eth(tcpREJ)},
	{"tcp_s0.pcap", 3, "A lone SYN. Zeek: S0 S", eth(tcpS0)},
	{"tcp_s0_retrans.pcap", 4, "SYN sent at +0, +1 s, +3 s with the same ISN, no answer. Zeek: S0 S", eth(tcpS0Retrans)},
	{"tcp_sh.pcap", 5, "SYN then FIN from the originator, nothing from the responder. Zeek: SH SF", eth(tcpSH)},
	{"tcp_shr.pcap", 6, "SYN-ACK then FIN-ACK from the responder, no SYN seen. Zeek: SHR ^hf", eth(tcpSHR)},
	{"tcp_s1.pcap", 7, "Handshake, request and response, no close. Zeek: S1 ShADad", eth(tcpS1)},
	{"tcp_rsto.pcap", 8, "Established, data both ways, then RST-ACK from the originator. Zeek: RSTO ShADadR", eth(tcpRSTO)},
	{"tcp_rstr.pcap", 9, "Established, data both ways, then RST-ACK from the responder. Zeek: RSTR ShADadr", eth(tcpRSTR)},
	{"tcp_rstos0.pcap", 10, "SYN then RST from the originator, no SYN-ACK. Zeek: RSTOS0 SR", eth(tcpRSTOS0)},
	{"tcp_rstrh.pcap", 11, "SYN-ACK then RST from the responder, no SYN seen. Zeek: RSTRH ^hr", eth(tcpRSTRH)},
	{"tcp_oth_midstream.pcap", 12, "Capture starts mid-connection: two request/response exchanges, no SYN, no FIN. Zeek: OTH", eth(tcpOTHMidstream)},
	{"tcp_s2.pcap", 13, "Established, then FIN from the originator only (ACKed, never answered with a FIN). Zeek: S2 ShADadF", eth(tcpS2)},
	{"tcp_s3.pcap", 14, "Established, then FIN from the responder only. Zeek: S3 ShADadf", eth(tcpS3)},
	{"tcp_retransmit.pcap", 15, "Request retransmitted after 210 ms; response segment 2 retransmitted after duplicate ACKs. Zeek: SF, T and t in history", eth(tcpRetransmit)},
	{"tcp_gap.pcap", 16, "Three-segment POST and three-segment response (1460 B each); the middle segment of each is missing from the capture but ACKed. Zeek: SF, G and g, missed_bytes 2920", eth(tcpGap)},
	{"tcp_flipped.pcap", 17, "Starts with the SYN-ACK (SYN not captured), then a normal exchange and close. Zeek: SF ^hADadFf", eth(tcpFlipped)},
	{"tcp_bad_checksum.pcap", 18, "The request is first sent with a corrupted TCP checksum, then retransmitted intact 210 ms later. Zeek: SF with C, weird bad_TCP_checksum", eth(tcpBadChecksum)},
	{"tcp_zero_window.pcap", 19, "POST upload; the server advertises a zero window for 300 ms, then reopens it. Zeek: SF with w", eth(tcpZeroWindow)},
	{"tcp_many_retrans.pcap", 20, "Request retransmitted 12 times (backoff 0.2 s doubling, capped at 1.6 s) before the server answers. Zeek: SF with TT (logarithmic repeat)", eth(tcpManyRetrans)},
	{"tcp_bulk.pcap", 21, "GET answered with a 200 000-byte body in 1460-byte segments, client ACKs every second segment. Zeek: SF ShADadFf, resp_bytes 200092", eth(tcpBulk)},
	{"tcp_inactivity.pcap", 22, "Connection left open (S1), 6 minutes of silence, then a new SYN on the same 5-tuple and a complete connection. Zeek: two conns, S1 then SF", eth(tcpInactivity)},
	{"tcp_port_reuse.pcap", 23, "Complete connection, then 10 s later a new SYN (new ISN) on the same 5-tuple and a second complete connection. Zeek: two SF conns", eth(tcpPortReuse)},
	{"tcp_ipv6_sf.pcap", 24, "tcp_sf over IPv6 (2001:db8::10 -> 2001:db8::20, MSS 1440). Zeek: SF ShADadFf", eth(tcpIPv6SF)},

	// UDP
	{"udp_dns_like.pcap", 30, "DNS on port 53: query and answer (SF); a query never answered (S0); an answer whose query was not captured (Zeek flips it because 53 is the likely server port: history ^d)", eth(udpDNSLike)},
	{"udp_one_way.pcap", 31, "Five syslog-like datagrams one way, 1 s apart. Zeek: S0 D", eth(udpOneWay)},
	{"udp_bad_checksum.pcap", 32, "Request; reply with a corrupted UDP checksum; the reply again, intact, 1 s later. Zeek: SF with c, weird bad_UDP_checksum", eth(udpBadChecksum)},
	{"udp_ipv6.pcap", 33, "DNS AAAA query and answer over IPv6. Zeek: SF Dd", eth(udpIPv6)},
	{"udp_inactivity.pcap", 34, "Request and reply, 90 s of silence, request and reply on the same 5-tuple. Zeek: two SF conns (udp_inactivity_timeout 1 min)", eth(udpInactivity)},
	{"udp_checksum_ffff.pcap", 35, "A datagram whose checksum computes to 0x0000 and is sent as 0xFFFF (valid, RFC 768), then a reply. Zeek: SF Dd, no weird", eth(udpChecksumFFFF)},
	{"udp_checksum_zero.pcap", 36, "IPv4 request and reply with checksum field 0 (no checksum: valid). Zeek: SF Dd, no weird", eth(udpChecksumZero)},

	// ICMP
	{"icmp_echo.pcap", 40, "Three echo request/reply pairs, id 0x5a17, seq 1..3, 1 s apart. Zeek: one icmp conn 8/0, OTH", eth(icmpEcho)},
	{"icmp_unreach.pcap", 41, "UDP probe to port 33434 answered by ICMP port unreachable quoting it. Zeek: a UDP S0 conn and an icmp conn 3/3", eth(icmpUnreach)},
	{"icmpv6_echo_nd.pcap", 42, "Neighbour solicitation to ff02::1:ff00:20 and advertisement, then two ICMPv6 echo pairs", eth(icmpv6EchoND)},

	// Link layers: each carries tcp_sf's connection over IPv4 and, where
	// noted, a DNS AAAA query/answer over IPv6.
	{"link_vlan.pcap", 50, "Ethernet + 802.1Q VLAN 100: TCP SF (IPv4) + DNS (IPv6)", eth2(vlan([2]uint16{0x8100, 100}), true)},
	{"link_qinq.pcap", 51, "Ethernet + 802.1ad 0x88a8 VLAN 200 + 802.1Q VLAN 100: TCP SF (IPv4) + DNS (IPv6)", eth2(vlan([2]uint16{0x88a8, 200}, [2]uint16{0x8100, 100}), true)},
	{"link_mpls.pcap", 52, "Ethernet + MPLS labels 1000, 2000 (bottom): TCP SF (IPv4) + DNS (IPv6)", eth2(mpls(1000, 2000), true)},
	{"link_pppoe.pcap", 53, "Ethernet + PPPoE session 0x1234 + PPP: TCP SF (IPv4) + DNS (IPv6)", eth2(pppoe(0x1234), true)},
	{"link_ppp.pcap", 54, "LINKTYPE_PPP (9), ff 03 + protocol: TCP SF (IPv4) + DNS (IPv6)", onLink(linkTypePPP, ppp, linkMix(true))},
	{"link_sll.pcap", 55, "Linux cooked v1 (113), as captured on the client (outgoing/host packet types): TCP SF (IPv4) + DNS (IPv6)", onLink(layers.LinkTypeLinuxSLL, sll("198.18.0.10", "2001:db8::10"), linkMix(true))},
	{"link_sll2.pcap", 56, "Linux cooked v2 (276), ifindex 2: TCP SF (IPv4) + DNS (IPv6)", onLink(linkTypeSLL2, sll2(2, "198.18.0.10", "2001:db8::10"), linkMix(true))},
	{"link_raw.pcap", 57, "LINKTYPE_RAW (101): TCP SF (IPv4) + DNS (IPv6)", onLink(layers.LinkTypeRaw, raw, linkMix(true))},
	{"link_ipv4.pcap", 58, "LINKTYPE_IPV4 (228): TCP SF", onLink(linkTypeIPv4, raw, linkMix(false))},
	{"link_ipv6.pcap", 59, "LINKTYPE_IPV6 (229): tcp_ipv6_sf's connection + DNS", onLink(linkTypeIPv6, raw, linkMix6)},
	{"link_null.pcap", 60, "LINKTYPE_NULL (0), little-endian family: TCP SF with AF_INET 2, then three IPv6 DNS exchanges with AF_INET6 as NetBSD/OpenBSD (24), FreeBSD (28) and macOS (30) write it", onLink(layers.LinkTypeNull, null(afInet6BSD), linkNull)},
	{"link_loop.pcap", 61, "LINKTYPE_LOOP (108), big-endian family (2, 24): TCP SF (IPv4) + DNS (IPv6)", onLink(layers.LinkTypeLoop, loop, linkMix(true))},
	{"link_nflog.pcap", 62, "LINKTYPE_NFLOG (239): group 5, TLVs PACKET_HDR, PREFIX \"weir\", PAYLOAD: TCP SF (IPv4) + DNS (IPv6, family 10)", onLink(linkTypeNFLOG, nflog(5, "weir"), linkMix(true))},
	{"link_snap.pcap", 63, "IEEE 802.3 length field + LLC (aa aa 03) + SNAP (OUI 0, type 0x0800): TCP SF (IPv4)", eth2(snap, false)},

	// IP
	{"ip_frag_v4.pcap", 70, "A 3508-byte UDP datagram in three IPv4 fragments sent out of order (offset 2960, 0, 1480), then a one-packet reply. Zeek: one UDP SF conn, orig_bytes 3500", eth(ipFragV4)},
	{"ip_frag_v6.pcap", 71, "A 3008-byte UDP datagram in three IPv6 fragments (Fragment header) sent last to first, then a reply. Zeek: one UDP SF conn, orig_bytes 3000", eth(ipFragV6)},
	{"ip_frag_incomplete.pcap", 72, "Fragments 1 and 3 of a datagram (the middle one never comes), a lone last fragment of another, then 30 s later a complete UDP exchange. Zeek: only the last exchange makes a conn", eth(ipFragIncomplete)},
	{"unknown_transport.pcap", 73, "SCTP INIT/INIT-ACK (IP protocol 132), GRE (47) carrying an IPv4 ICMP echo, and IP protocol 253 (experimental). Zeek: conns with proto unknown_transport and ip_proto 132 and 253 (Zeek itself decapsulates the GRE and logs the inner ICMP; weir treats it as unknown until tunnels exist)", eth(unknownTransport)},
	{"ip_truncated.pcap", 74, "Snap length 96: a complete HTTP connection whose larger frames are cut (caplen < wirelen)", ipTruncatedFile},
	{"malformed.pcap", 75, "Broken frames, each 100 ms apart: a 10-byte runt; IPv4 IHL 4; IPv4 total length 16; total length 1000 in a short frame; version 6 under ethertype IPv4; TCP data offset 4; TCP data offset 15 with a 20-byte header; UDP length 4; UDP length 200 in a short packet; IPv6 payload length 1000 in a short packet; ICMP of 2 bytes; a fragment ending past 65535 bytes; then a valid UDP exchange", eth(malformed)},

	// Tunnels: each carries tcp_sf's connection and a DNS exchange inside.
	{"tunnel_gre.pcap", 100, "GRE (key 100) between 198.18.1.1 and 198.18.1.2 carrying TCP SF over IPv4 (protocol type 0x0800) and DNS over IPv6 (0x86dd). Zeek: the two inner conns with tunnel_parents set to the GRE tunnel; no conn for the GRE packets themselves (tunnel.log: Tunnel::GRE)", onTunnel(greTunnel, tunnelMix(true))},
	{"tunnel_vxlan.pcap", 101, "VXLAN (UDP 4789, VNI 100; source port from a hash of the inner flow) between 198.18.1.1 and 198.18.1.2 carrying Ethernet frames: TCP SF (IPv4) + DNS (IPv6). Zeek: the two inner conns with tunnel_parents, and the outer UDP conns (one per inner flow and direction, service vxlan)", onTunnel(vxlanTunnel, tunnelMix(true))},
	{"tunnel_geneve.pcap", 102, "Geneve (UDP 6081, VNI 200, one 4-byte option) carrying Ethernet frames: TCP SF (IPv4) + DNS (IPv6). Zeek: as tunnel_vxlan, service geneve", onTunnel(geneveTunnel, tunnelMix(true))},
	{"tunnel_gtp.pcap", 103, "GTPv1-U G-PDUs on UDP 2152 between 198.18.1.1 (TEID 0x10000001 uplink, with a PDU session container extension header and sequence numbers) and 198.18.1.2 (TEID 0x20000001): a TCP connection with a 4000-byte response, whose full-size segments make outer datagrams sent in two IPv4 fragments (MTU 1500), + DNS (IPv6). Zeek: the two inner conns with tunnel_parents; one outer UDP conn 2152-2152, service gtpv1", onTunnel(gtpTunnel, gtpMix)},
	{"tunnel_teredo.pcap", 104, "Teredo between a client 198.18.1.10 and a relay 198.18.1.20:3544: a bubble each way (the relay's with an origin indication), then TCP SF and DNS, both IPv6 (2001:db8::/32). Zeek: the two inner conns with tunnel_parents, one outer UDP conn, service teredo (valid Teredo both ways); the bubbles make no conn", onTunnel(teredoTunnel, teredoMix)},
	{"tunnel_ipip.pcap", 105, "IP-in-IP between 198.18.1.1 and 198.18.1.2: TCP SF in IPv4-in-IPv4 (protocol 4), DNS in IPv6-in-IPv4 (6in4, protocol 41). Zeek: the two inner conns with tunnel_parents (Tunnel::IP); no conn for the outer packets", onTunnel(ipipTunnel, tunnelMix(true))},
	{"tunnel_erspan.pcap", 106, "A switch (198.18.1.1) mirroring both directions to a collector (198.18.1.2), one way, session 7: TCP SF in ERSPAN type II (GRE 0x88be with sequence numbers), DNS (IPv6) in ERSPAN type III (0x22eb). Zeek: the two inner conns with tunnel_parents (Tunnel::GRE); no conn for the GRE packets", onTunnel(erspanTunnel, tunnelMix(true))},

	// File formats
	{"file_pcap_ns.pcap", 90, "Nanosecond pcap (magic a1b23c4d), timestamps with sub-microsecond parts: one complete HTTP connection", filePcapNs},
	{"file_pcap_be.pcap", 91, "Big-endian microsecond pcap (a1 b2 c3 d4 on disk): one complete HTTP connection and a DNS exchange", filePcapBE},
	{"file_pcapng_multi.pcapng", 92, "pcapng with two interfaces: 0 eth0 Ethernet at microseconds (no if_tsresol), 1 tun0 raw IP with if_tsresol 9; an HTTP connection on eth0 and DNS over IPv4 and IPv6 on tun0 interleaved in time; an interface statistics block per interface at the end", fileNgMulti},
	{"file_gzip.pcap.gz", 93, "gzip-compressed pcap: one complete HTTP connection with a 6000-byte body", fileGzip},
	{"file_zstd.pcapng.zst", 94, "zstd-compressed pcapng (nanosecond resolution, from pcapgo.NgWriter): one complete HTTP connection with a 6000-byte body", fileZstd},
	{"file_truncated.pcap", 95, "A complete connection's pcap cut in the middle of the sixth record's packet data: 5 full packets, then a short read", fileTruncated},
	{"split_a.pcap", splitSlot, "With split_b.pcap: one complete HTTP connection whose packets alternate between the two files (a has packets 1, 3, 5...). Merged by time they make one SF conn", split(0)},
	{"split_b.pcap", splitSlot, "The other half of split_a.pcap (packets 2, 4, 6...)", split(1)},
	{"local_nets.pcap", 96, "TCP SF 10.0.0.5->10.0.0.6, 10.0.0.5->198.18.0.20, 198.18.0.30->192.168.1.10, fd00::1->2001:db8::20; UDP 192.168.1.10->10.0.0.6, fe80::1->fe80::2, 2001:db8::10->fd00::1, 198.18.0.40->198.18.0.41. For local_orig/local_resp with local nets 10/8, 192.168/16, fd00::/8, fe80::/10", eth(localNets)},
}

func eth2(link linkFunc, v6 bool) func(int) []byte {
	return onLink(layers.LinkTypeEthernet, link, linkMix(v6))
}

func linkMix6(c *capture) {
	sfConn(c, client6(), server6(), c.cport(0), 80)
	c.wait(10 * msec)
	q := dnsQuery(0x7c7e, "www.example.test", layers.DNSTypeAAAA)
	c.dns(client6(), newHost("2001:db8::53"), c.cport(1), q, dnsReply(q, "2001:db8::80"))
}

func linkNull(c *capture) {
	sfConn(c, client4(), server4(), c.cport(0), 80)
	for i, fam := range []uint32{afInet6BSD, afInet6FreeBSD, afInet6Darwin} {
		c.wait(10 * msec)
		c.link = null(fam)
		q := dnsQuery(0x7c80+uint16(i), "www.example.test", layers.DNSTypeAAAA)
		c.dns(client6(), newHost("2001:db8::53"), c.cport(1+i), q, dnsReply(q, "2001:db8::80"))
	}
}

func ipTruncatedFile(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	ipTruncated(c)
	return c.pcap()
}

func main() {
	out := flag.String("o", "testdata/pcaps", "output directory (or file, with -flood and -short-http)")
	check := flag.Bool("check", false, "regenerate into a temporary directory and fail if any file in -o differs")
	list := flag.Bool("list", false, "print the table of files for testdata/README.md")
	flood := flag.Int("flood", 0, "write N one-packet TCP SYN flows with distinct 5-tuples to the file -o")
	shortHTTP := flag.Int("short-http", 0, "write N complete short HTTP/1.1 connections to the file -o")
	dnsN := flag.Int("dns", 0, "write N DNS query/answer pairs over UDP to the file -o")
	flag.Parse()

	if err := checkSlots(); err != nil {
		fatal(err)
	}
	switch {
	case *list:
		fmt.Println("| file | scenario |")
		fmt.Println("|---|---|")
		for _, s := range scenarios {
			fmt.Printf("| `%s` | %s |\n", s.file, s.desc)
		}
	case *flood > 0:
		fatal(writeBench(*out, func(w *benchWriter) { floodFlows(w, *flood) }))
	case *dnsN > 0:
		fatal(writeBench(*out, func(w *benchWriter) { dnsPairs(w, *dnsN) }))
	case *shortHTTP > 0:
		fatal(writeBench(*out, func(w *benchWriter) { shortHTTPConns(w, *shortHTTP) }))
	case *check:
		bad, err := checkDir(*out)
		fatal(err)
		if bad > 0 {
			fmt.Fprintf(os.Stderr, "gen: %d file(s) in %s differ from the generator: run go run ./testdata/gen -o %s\n", bad, *out, *out)
			os.Exit(1)
		}
		fmt.Printf("gen: all %d generated files in %s are up to date\n", len(scenarios), *out)
	default:
		fatal(generate(*out))
	}
}

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func checkSlots() error {
	seen := map[int]string{}
	for _, s := range scenarios {
		if prev, ok := seen[s.slot]; ok && !(strings.HasPrefix(prev, "split_") && strings.HasPrefix(s.file, "split_")) {
			return fmt.Errorf("%s and %s share slot %d", prev, s.file, s.slot)
		}
		seen[s.slot] = s.file
	}
	return nil
}

func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range scenarios {
		if err := os.WriteFile(filepath.Join(dir, s.file), s.build(s.slot), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// checkDir regenerates every file into a temporary directory and compares
// it with dir. A compressed file whose compressed bytes differ but whose
// content is the same is reported and not counted: a compressor upgrade
// may change its output without changing the capture. Files in dir that
// the generator does not make (other than real_*.pcap, and folders such as
// the golden tests' <capture>.golden/) are counted: they are left over from
// a removed scenario.
func checkDir(dir string) (bad int, err error) {
	tmp, err := os.MkdirTemp("", "weir-gen-check-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	if err := generate(tmp); err != nil {
		return 0, err
	}
	made := map[string]bool{}
	for _, s := range scenarios {
		made[s.file] = true
		want, err := os.ReadFile(filepath.Join(tmp, s.file))
		if err != nil {
			return 0, err
		}
		got, err := os.ReadFile(filepath.Join(dir, s.file))
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", s.file, err)
			bad++
		case bytes.Equal(got, want):
		case sameContent(s.file, got, want):
			fmt.Fprintf(os.Stderr, "gen: %s: compressed bytes differ but the capture inside is identical (compressor version?)\n", s.file)
		default:
			fmt.Fprintf(os.Stderr, "gen: %s differs from the generator's output\n", s.file)
			bad++
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			continue // <capture>.golden/ folders of the golden tests
		}
		if !made[n] && !(strings.HasPrefix(n, "real_") && strings.HasSuffix(n, ".pcap")) {
			fmt.Fprintf(os.Stderr, "gen: %s is not made by the generator (left from a removed scenario?)\n", n)
			bad++
		}
	}
	return bad, nil
}

func sameContent(name string, a, b []byte) bool {
	da, errA := decompress(name, a)
	db, errB := decompress(name, b)
	return errA == nil && errB == nil && da != nil && bytes.Equal(da, db)
}

func decompress(name string, b []byte) ([]byte, error) {
	switch {
	case strings.HasSuffix(name, ".gz"):
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case strings.HasSuffix(name, ".zst"):
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(b, nil)
	}
	return nil, nil
}
