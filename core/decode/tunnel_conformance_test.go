package decode

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/weirnet/weir/core/flow"
)

// conformanceDir holds Zeek's reference traces and logs, beside the
// repository (../shared in the work tree and in CI). They are read where
// they are, never copied into the repository.
const conformanceDir = "../../../shared/conformance/zeek/cases"

// connCount is what conn.log says of one connection, or what the decoder
// makes of the packets of one 5-tuple.
type connCount struct {
	orig, resp       [16]byte
	origP, respP     uint16
	proto            uint8
	origPkts, origIP int
	respPkts, respIP int
	parents          bool   // tunnel_parents is set
	service          string // conn.log's, or the tunnel service confirmed on it
	kinds            map[TunnelKind]bool
}

// TestZeekTunnelTraces decodes Zeek's tunnel test traces and checks that
// the connections of conn.log come out: those with tunnel_parents from
// DecodeInner, with the same 5-tuples, packet counts and IP byte counts
// each way, the others (the UDP connections carrying VXLAN, GTP, ...) from
// the outer packets; and nothing else.
func TestZeekTunnelTraces(t *testing.T) {
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skipf("Zeek's reference traces are not here (%v)", err)
	}
	cases := []struct {
		name     string
		checksum bool       // Zeek ran without -C
		kind     TunnelKind // of the innermost tunnel of every inner connection
	}{
		{"gre", true, TunnelGRE},
		{"gre-over-udp", true, TunnelGRE},
		{"gtp-outer-ip-frag", false, TunnelGTPv1},
		{"erspan1-icmp", true, TunnelGRE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(conformanceDir, tc.name)
			want := readZeekConnLog(t, filepath.Join(dir, "conn.log"))
			cfg := DefaultConfig()
			cfg.CheckChecksums = tc.checksum
			got := decodeTrace(t, filepath.Join(dir, "trace.pcap"), cfg)
			matched := 0
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: not decoded", w)
					continue
				}
				matched++
				if g.origPkts != w.origPkts || g.origIP != w.origIP || g.respPkts != w.respPkts || g.respIP != w.respIP {
					t.Errorf("%s: packets/IP bytes %d/%d %d/%d, Zeek %d/%d %d/%d", w,
						g.origPkts, g.origIP, g.respPkts, g.respIP, w.origPkts, w.origIP, w.respPkts, w.respIP)
				}
				if g.parents != w.parents {
					t.Errorf("%s: inside a tunnel %v, Zeek's tunnel_parents set %v", w, g.parents, w.parents)
				}
				if w.parents && (len(g.kinds) != 1 || !g.kinds[tc.kind]) {
					t.Errorf("%s: came out of %v, want only %v", w, g.kinds, tc.kind)
				}
				if s := w.service; !w.parents && (s == "gtpv1" || s == "vxlan" || s == "geneve" || s == "teredo" || s == "ayiya") && g.service != s {
					t.Errorf("%s: tunnel service %q confirmed, Zeek's service %q", w, g.service, s)
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: decoded, not in Zeek's conn.log", g)
				}
			}
			t.Logf("%d connections matched", matched)
			if matched == 0 {
				t.Fatal("nothing matched")
			}
		})
	}
}

func (c *connCount) String() string {
	a, b := netip.AddrFrom16(c.orig).Unmap(), netip.AddrFrom16(c.resp).Unmap()
	return a.String() + ":" + strconv.Itoa(int(c.origP)) + " > " + b.String() + ":" + strconv.Itoa(int(c.respP)) + " proto " + strconv.Itoa(int(c.proto))
}

// decodeTrace decodes every packet of a pcap file and, recursively, every
// frame a packet encapsulates, and counts packets and IP bytes per
// connection as conn.log does. Packets of IP-level tunnels make no
// connection.
func decodeTrace(t *testing.T, path string, cfg Config) map[flow.Key]*connCount {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(cfg)
	conns := map[flow.Key]*connCount{}
	count := func(p *Packet) {
		if p.Status != OK || (p.Tunnel.Kind != TunnelNone && !p.Tunnel.OuterIsConn) {
			return
		}
		var sp, dp uint16
		switch p.Proto {
		case 6, 17:
			sp, dp = p.SrcPort, p.DstPort
		case 1, 58:
			sp, dp, _ = flow.ICMPPorts(p.Proto == 58, p.ICMPType, p.ICMPCode)
		}
		k, _ := flow.MakeKey(p.Src, p.Dst, sp, dp, p.Proto)
		c := conns[k]
		if c == nil {
			c = &connCount{orig: p.Src, resp: p.Dst, origP: sp, respP: dp, proto: p.Proto, kinds: map[TunnelKind]bool{}}
			conns[k] = c
		}
		if p.Src == c.orig && sp == c.origP {
			c.origPkts++
			c.origIP += p.IPTotalLen
		} else {
			c.respPkts++
			c.respIP += p.IPTotalLen
		}
		if last, ok := p.Encap.Last(); ok {
			c.parents = true
			c.kinds[last.Kind] = true
		}
		if p.Tunnel.Confirmed {
			c.service = p.Tunnel.Kind.Service()
		}
	}
	var p, q [2]Packet
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p[0] = Packet{TS: ci.Timestamp.UnixNano(), Link: uint32(r.LinkType()), Data: data, WireLen: ci.Length}
		d.Decode(&p[0])
		count(&p[0])
		outer := &p[0]
		for i := 0; outer.InnerFrame() != nil; i++ {
			in := &q[i%2]
			d.DecodeInner(outer, in)
			if in.Status == Weird {
				t.Errorf("inner packet: weird %s", in.Weird)
			}
			count(in)
			outer = in
		}
	}
	return conns
}

// readZeekConnLog reads the connections of a Zeek TSV conn.log.
func readZeekConnLog(t *testing.T, path string) map[flow.Key]*connCount {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	conns := map[flow.Key]*connCount{}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		v := map[string]string{}
		for i, s := range strings.Split(line, "\t") {
			if i < len(fields) {
				v[fields[i]] = s
			}
		}
		num := func(f string) int {
			n, err := strconv.Atoi(v[f])
			if err != nil {
				t.Fatalf("%s: field %s: %v", path, f, err)
			}
			return n
		}
		addr := func(f string) [16]byte {
			a, err := netip.ParseAddr(v[f])
			if err != nil {
				t.Fatalf("%s: field %s: %v", path, f, err)
			}
			return a.As16()
		}
		protos := map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1}
		c := &connCount{
			orig: addr("id.orig_h"), resp: addr("id.resp_h"),
			origP: uint16(num("id.orig_p")), respP: uint16(num("id.resp_p")),
			proto:    protos[v["proto"]],
			origPkts: num("orig_pkts"), origIP: num("orig_ip_bytes"),
			respPkts: num("resp_pkts"), respIP: num("resp_ip_bytes"),
			parents: v["tunnel_parents"] != "-" && v["tunnel_parents"] != "(empty)",
			service: v["service"],
		}
		if c.proto == 1 && netip.AddrFrom16(c.orig).Is4In6() == false {
			c.proto = 58
		}
		k, _ := flow.MakeKey(c.orig, c.resp, c.origP, c.respP, c.proto)
		conns[k] = c
	}
	return conns
}

// TestGeneratedTunnelCaptures decodes the project's own tunnel captures
// (testdata/gen): each holds tcp_sf's connection and a DNS exchange inside a
// tunnel, which must come out of DecodeInner with the packet and byte
// counts the same script has without a tunnel, and the outer UDP
// connections Zeek would log beside them.
func TestGeneratedTunnelCaptures(t *testing.T) {
	const dir = "../../testdata/pcaps"
	plain := decodeTrace(t, filepath.Join(dir, "tcp_sf.pcap"), DefaultConfig())
	if len(plain) != 1 {
		t.Fatalf("tcp_sf.pcap: %d connections", len(plain))
	}
	var sf *connCount
	for _, c := range plain {
		sf = c
	}
	cases := []struct {
		file    string
		kind    TunnelKind
		outer   int    // outer UDP connections
		service string // confirmed on them
		v6      bool   // the TCP connection is over IPv6
	}{
		{"tunnel_gre.pcap", TunnelGRE, 0, "", false},
		{"tunnel_vxlan.pcap", TunnelVXLAN, 4, "vxlan", false},
		{"tunnel_geneve.pcap", TunnelGeneve, 4, "geneve", false},
		{"tunnel_gtp.pcap", TunnelGTPv1, 1, "gtpv1", false},
		{"tunnel_teredo.pcap", TunnelTeredo, 1, "teredo", true},
		{"tunnel_ipip.pcap", TunnelIP, 0, "", false},
		{"tunnel_erspan.pcap", TunnelGRE, 0, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			conns := decodeTrace(t, filepath.Join(dir, tc.file), DefaultConfig())
			var tcp, udp, outer int
			for _, c := range conns {
				switch {
				case !c.parents:
					outer++
					if c.proto != 17 || c.service != tc.service {
						t.Errorf("outer %s: service %q, want UDP with %q", c, c.service, tc.service)
					}
				case len(c.kinds) != 1 || !c.kinds[tc.kind]:
					t.Errorf("%s came out of %v, want %v", c, c.kinds, tc.kind)
				case c.proto == 6:
					tcp++
					if netip.AddrFrom16(c.orig).Is4In6() == tc.v6 || c.respP != 80 {
						t.Errorf("tcp %s", c)
					}
					if tc.file != "tunnel_gtp.pcap" && !tc.v6 && (c.origPkts != sf.origPkts || c.respPkts != sf.respPkts ||
						c.origIP != sf.origIP || c.respIP != sf.respIP) {
						t.Errorf("tcp %s: %d/%d %d/%d, tcp_sf has %d/%d %d/%d", c, c.origPkts, c.origIP, c.respPkts, c.respIP,
							sf.origPkts, sf.origIP, sf.respPkts, sf.respIP)
					}
				case c.proto == 17:
					udp++
					if c.respP != 53 || c.origPkts != 1 || c.respPkts != 1 {
						t.Errorf("udp %s: %d/%d packets", c, c.origPkts, c.respPkts)
					}
				}
			}
			if tcp != 1 || udp != 1 || outer != tc.outer {
				t.Errorf("%d tcp, %d udp inside, %d outer connections; want 1, 1, %d", tcp, udp, outer, tc.outer)
			}
		})
	}
}
