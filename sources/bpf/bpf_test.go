//go:build cgo

package bpf

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	xbpf "golang.org/x/net/bpf"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/bpf/internal/cbpf"
)

// Packet builders: just enough of each header for filters to look at.

func ether(typ uint16, payload []byte) []byte {
	b := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

// vlan is an 802.1Q tag and the type it carries, to go inside ether(0x8100, ...).
func vlan(id, typ uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

func ipv4(proto uint8, src, dst [4]byte, payload []byte) []byte {
	b := []byte{0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	return append(b, payload...)
}

func ipv6(next uint8, payload []byte) []byte {
	b := []byte{0x60, 0, 0, 0, 0, 0, next, 64}
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	src := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}
	dst := [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 2}
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	return append(b, payload...)
}

func tcp(sport, dport uint16, payload string) []byte {
	b := binary.BigEndian.AppendUint16(nil, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
	return append(b, payload...)
}

func udp(sport, dport uint16, payload string) []byte {
	b := binary.BigEndian.AppendUint16(nil, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	b = append(b, 0, 0)
	return append(b, payload...)
}

var (
	hostA = [4]byte{198, 18, 0, 1}
	hostB = [4]byte{10, 0, 0, 2}
	hostC = [4]byte{192, 0, 2, 7}
)

type testPacket struct {
	name string
	link uint32
	data []byte
	wire int // 0: len(data)
}

var testPackets = []testPacket{
	{"eth tcp 1234>80", sources.LinkEthernet, ether(0x0800, ipv4(6, hostB, hostC, tcp(1234, 80, "GET / HTTP/1.1\r\n"))), 0},
	{"eth tcp 80>5555", sources.LinkEthernet, ether(0x0800, ipv4(6, hostC, hostB, tcp(80, 5555, ""))), 0},
	{"eth tcp 443", sources.LinkEthernet, ether(0x0800, ipv4(6, hostB, hostC, tcp(40000, 443, ""))), 0},
	{"eth udp 80", sources.LinkEthernet, ether(0x0800, ipv4(17, hostB, hostC, udp(5353, 80, "x"))), 0},
	{"eth udp from A", sources.LinkEthernet, ether(0x0800, ipv4(17, hostA, hostC, udp(53, 5353, "dns"))), 0},
	{"eth udp to A", sources.LinkEthernet, ether(0x0800, ipv4(17, hostB, hostA, udp(5353, 53, "dns"))), 0},
	{"eth tcp to A", sources.LinkEthernet, ether(0x0800, ipv4(6, hostB, hostA, tcp(1, 2, ""))), 0},
	{"eth ipv6 tcp 80", sources.LinkEthernet, ether(0x86dd, ipv6(6, tcp(1234, 80, ""))), 0},
	{"eth ipv6 ext tcp 80", sources.LinkEthernet, ether(0x86dd, ipv6(0, append([]byte{43, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}, tcp(1234, 80, "")...))), 0},
	{"eth vlan tcp 80", sources.LinkEthernet, ether(0x8100, vlan(100, 0x0800, ipv4(6, hostB, hostC, tcp(1234, 80, "")))), 0},
	{"eth vlan udp", sources.LinkEthernet, ether(0x8100, vlan(100, 0x0800, ipv4(17, hostA, hostC, udp(1, 2, "")))), 0},
	{"eth qinq tcp", sources.LinkEthernet, ether(0x88a8, vlan(10, 0x8100, vlan(20, 0x0800, ipv4(6, hostB, hostC, tcp(1, 80, ""))))), 0},
	{"eth arp", sources.LinkEthernet, ether(0x0806, make([]byte, 28)), 0},
	{"eth tcp 80 snapped", sources.LinkEthernet, ether(0x0800, ipv4(6, hostB, hostC, tcp(1234, 80, "")))[:30], 1514},
	{"raw tcp 80", sources.LinkRaw, ipv4(6, hostB, hostC, tcp(1234, 80, "")), 0},
	{"raw udp from A", sources.LinkRaw, ipv4(17, hostA, hostC, udp(1, 2, "")), 0},
}

// packet returns the bytes of the test packet of that name.
func packet(name string) []byte {
	for _, p := range testPackets {
		if p.name == name {
			return p.data
		}
	}
	panic("no test packet " + name)
}

func TestMatch(t *testing.T) {
	tests := []struct {
		expr string
		link uint32
		want []string // names of the packets of that link type it matches
	}{
		{"tcp port 80", sources.LinkEthernet, []string{"eth tcp 1234>80", "eth tcp 80>5555", "eth ipv6 tcp 80"}},
		{"ip6 protochain 6", sources.LinkEthernet, []string{"eth ipv6 tcp 80", "eth ipv6 ext tcp 80"}},
		{"tcp port 80", sources.LinkRaw, []string{"raw tcp 80"}},
		{"udp and host 198.18.0.1", sources.LinkEthernet, []string{"eth udp from A", "eth udp to A"}},
		{"udp and host 198.18.0.1", sources.LinkRaw, []string{"raw udp from A"}},
		{"vlan and tcp", sources.LinkEthernet, []string{"eth vlan tcp 80"}},
		{"vlan and vlan and tcp port 80", sources.LinkEthernet, []string{"eth qinq tcp"}},
		{"vlan 100 and udp", sources.LinkEthernet, []string{"eth vlan udp"}},
		{"arp", sources.LinkEthernet, []string{"eth arp"}},
		// "greater" is about the length on the wire: the snapped packet
		// matches although 30 bytes were captured.
		{"greater 1000", sources.LinkEthernet, []string{"eth tcp 80 snapped"}},
		{"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", sources.LinkEthernet, []string{"eth tcp 1234>80"}}, // "GET "
		{"", sources.LinkEthernet, nil}, // everything: filled in below
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			f, err := Compile(tt.expr, tt.link, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range testPackets {
				if p.link != tt.link {
					continue
				}
				want := tt.expr == "" || slices.Contains(tt.want, p.name)
				if got := f.Match(p.data, p.wire); got != want {
					t.Errorf("Match(%s) = %v, want %v", p.name, got, want)
				}
			}
		})
	}
}

// TestLoopback checks BSD loopback frames, whose address family is in the
// byte order of the capturing machine and whose AF_INET6 differs between
// systems: the filter must match all of them, as libpcap does when it
// reads a file.
func TestLoopback(t *testing.T) {
	family := func(af uint32, big bool, payload []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, af)
		if big {
			b = binary.BigEndian.AppendUint32(nil, af)
		}
		return append(b, payload...)
	}
	v4 := ipv4(17, hostA, hostC, udp(1, 2, ""))
	v6 := ipv6(17, udp(1, 2, ""))
	ip6, err := Compile("ip6", sources.LinkNull, 0)
	if err != nil {
		t.Fatal(err)
	}
	notIP, err := Compile("not ip", sources.LinkNull, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, big := range []bool{false, true} {
		for _, af := range []uint32{24, 28, 30} { // NetBSD/OpenBSD, FreeBSD, macOS
			if pkt := family(af, big, v6); !ip6.Match(pkt, len(pkt)) {
				t.Errorf("ip6 does not match AF %d (big-endian %v)", af, big)
			}
		}
		pkt := family(2, big, v4)
		if ip6.Match(pkt, len(pkt)) || notIP.Match(pkt, len(pkt)) {
			t.Errorf("AF_INET (big-endian %v) taken for something else", big)
		}
	}
}

// TestRejectsAll: libpcap refuses an expression that cannot match a link
// type; for a file that only means no frame of that type matches.
func TestRejectsAll(t *testing.T) {
	f, err := Compile("ip6", sources.LinkIPv4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if pkt := packet("raw tcp 80"); f.Match(pkt, len(pkt)) {
		t.Fatal("ip6 matches an IPv4 frame")
	}
}

func TestCompileError(t *testing.T) {
	_, err := Compile("tcp prt 80", sources.LinkEthernet, 0)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile of a bad expression: %v", err)
	}
	const want = `bpf: filter "tcp prt 80" for link type 1 (EN10MB): can't parse filter expression: syntax error`
	if err.Error() != want {
		t.Fatalf("error %q\nwant  %q", err, want)
	}
}

func TestSet(t *testing.T) {
	if _, err := NewSet("tcp prt 80", 0); err == nil || !strings.Contains(err.Error(), `"tcp prt 80"`) {
		t.Fatalf("NewSet of a bad expression: %v", err)
	}
	s, err := NewSet("udp and host 198.18.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Frames of two link types, as a pcapng can mix them.
	for _, p := range testPackets {
		f := &sources.Frame{Data: p.data, WireLen: max(p.wire, len(p.data)), Link: p.link}
		got, err := s.Match(f)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Contains(p.name, "udp from A") || strings.Contains(p.name, "udp to A")
		if got != want {
			t.Errorf("Match(%s) = %v, want %v", p.name, got, want)
		}
	}

	// An expression that cannot apply to a link type fails for its frames
	// only, with the same error each time, compiled once.
	s, err = NewSet("ether host 00:11:22:33:44:55", 0)
	if err != nil {
		t.Fatal(err)
	}
	raw := &sources.Frame{Data: packet("raw tcp 80"), WireLen: len(packet("raw tcp 80")), Link: sources.LinkRaw}
	_, err1 := s.Match(raw)
	_, err2 := s.Match(raw)
	if err1 == nil || err1 != err2 || !strings.Contains(err1.Error(), "link type 101 (RAW)") {
		t.Fatalf("Match on raw IP: %v, then %v", err1, err2)
	}
	eth := &sources.Frame{Data: packet("eth tcp 1234>80"), WireLen: len(packet("eth tcp 1234>80")), Link: sources.LinkEthernet}
	if ok, err := s.Match(eth); !ok || err != nil {
		t.Fatalf("Match on Ethernet = %v, %v", ok, err)
	}

	all, err := NewSet("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := all.Match(raw); !ok || err != nil {
		t.Fatalf("empty expression: Match = %v, %v", ok, err)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	s, err := NewSet("tcp port 80", 0)
	if err != nil {
		t.Fatal(err)
	}
	frames := []sources.Frame{
		{Data: packet("eth tcp 1234>80"), WireLen: len(packet("eth tcp 1234>80")), Link: sources.LinkEthernet},
		{Data: packet("raw tcp 80"), WireLen: len(packet("raw tcp 80")), Link: sources.LinkRaw},
	}
	for i := range frames { // compile for both link types first
		if _, err := s.Match(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if ok, _ := s.Match(&frames[i%2]); !ok {
			t.Fatal("no match")
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Set.Match allocates %.2f times per frame", allocs)
	}
}

// diffExprs cover every kind of instruction libpcap generates.
var diffExprs = []string{
	"tcp port 80",
	"udp and host 198.18.0.1",
	"vlan and tcp",
	"vlan and vlan and tcp port 80",
	"greater 200", "less 100",
	"len >= 60 and len <= 1500",
	"ip[2:2] / 4 > 10", "ip[2:2] % 7 = 3", "ip[2:2] * 3 > 100",
	"ip[2:2] - 20 < 50", "ip[2:2] + 5 > 60",
	"ip[8] & 0x0f != 0", "ip[8] | 1 = 65", "ip[8] ^ 0xff = 0xbf",
	"ip[8] << 2 > 100", "ip[8] >> 1 < 40", "-ip[8] < 0xffffffc0",
	"ip[2:2] / ip[1] > 1", "len / ip[8] > 2", "ip[2:2] % ip[1] = 0", "len % ip[8] = 1", "ip[2:2] << ip[9] > 10", "ip[2:2] >> ip[9] = 0",
	"ip[2:2] - ip[8] = 0 or ip[2:2] + ip[8] = 0 or ip[2:2] * ip[8] = 0 or ip[2:2] & ip[8] = 0 or ip[2:2] | ip[8] = 0 or ip[2:2] ^ ip[8] = 0",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
	"icmp[icmptype] = icmp-echo",
	"ip6 and tcp dst port 22",
	"net 10.0.0.0/8 or net 198.18.0.0/15",
	"portrange 1000-2000",
	"ether[0] & 1 != 0", "ether proto 0x0806", "arp", "ip proto 47",
	"ip multicast", "ip6 multicast",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"udp[8:2] = 0x1234",
	"ip[6:2] & 0x1fff != 0",
	"ip and ip[0] & 0xf > 5",
	"vlan 100", "mpls", "pppoes",
	"ip[2:2] > ip[8] and ip[2:2] >= ip[9] and ip[4:2] != ip[8] and ip[4:2] & ip[8] != 0",
	"ip6 protochain 6",
}

// TestAgainstLibpcap runs random packets through each program with the Go
// interpreter, libpcap's bpf_filter and golang.org/x/net/bpf's VM: the
// first two must agree on every verdict; the third wherever it can: it
// cannot see the length on the wire, and it does not implement negation
// (it skips the instruction).
func TestAgainstLibpcap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var base [][]byte
	for _, p := range testPackets {
		if p.link == sources.LinkEthernet {
			base = append(base, p.data)
		}
	}
	for _, expr := range diffExprs {
		f, err := Compile(expr, sources.LinkEthernet, 0)
		if err != nil {
			t.Fatal(err)
		}
		ref := cbpf.New(f.Instructions())
		if !ref.Valid() {
			t.Fatalf("%q: libpcap's bpf_validate rejects its own program", expr)
		}
		insts, _ := xbpf.Disassemble(f.Instructions())
		vm, vmErr := xbpf.NewVM(insts)
		if slices.Contains(insts, xbpf.Instruction(xbpf.NegateA{})) {
			vmErr = errors.New("no NegateA")
		}
		for i := range 2000 {
			pkt := append([]byte(nil), base[i%len(base)]...)
			for range rng.IntN(4) {
				pkt[rng.IntN(len(pkt))] = byte(rng.Uint32())
			}
			if rng.IntN(4) == 0 {
				pkt = pkt[:rng.IntN(len(pkt)+1)]
			}
			wire := uint32(len(pkt))
			if rng.IntN(3) == 0 {
				wire += uint32(rng.IntN(3000))
			}
			got, want := run(f.prog, pkt, wire), ref.Run(pkt, wire)
			if got != want {
				t.Fatalf("%q on % x (wire %d): Go says %d, libpcap %d", expr, pkt, wire, got, want)
			}
			if vmErr == nil && wire == uint32(len(pkt)) {
				if x, _ := vm.Run(pkt); uint32(x) != want {
					t.Errorf("%q on % x: x/net/bpf says %d, libpcap %d", expr, pkt, x, want)
				}
			}
		}
	}
}

// FuzzMatch compares the Go interpreter with libpcap's on arbitrary
// packets.
func FuzzMatch(f *testing.F) {
	progs := make([][]insn, len(diffExprs))
	refs := make([]cbpf.Program, len(diffExprs))
	for i, expr := range diffExprs {
		flt, err := Compile(expr, sources.LinkEthernet, 0)
		if err != nil {
			f.Fatal(err)
		}
		progs[i], refs[i] = flt.prog, cbpf.New(flt.Instructions())
	}
	for i, p := range testPackets {
		f.Add(p.data, uint8(i), uint16(p.wire))
	}
	f.Fuzz(func(t *testing.T, pkt []byte, which uint8, extra uint16) {
		i := int(which) % len(progs)
		wire := uint32(len(pkt)) + uint32(extra)
		if got, want := run(progs[i], pkt, wire), refs[i].Run(pkt, wire); got != want {
			t.Fatalf("%q on % x (wire %d): Go says %d, libpcap %d", diffExprs[i], pkt, wire, got, want)
		}
	})
}

// TestLoadRejects checks that programs which could misbehave never reach
// the interpreter.
func TestLoadRejects(t *testing.T) {
	ret := xbpf.RawInstruction{Op: clsRET | retK, K: 1}
	tests := []struct {
		name string
		prog []xbpf.RawInstruction
	}{
		{"empty", nil},
		{"no return at the end", []xbpf.RawInstruction{{Op: clsLD | szW | modeIMM}}},
		{"jump past the end", []xbpf.RawInstruction{{Op: clsJMP | jmpJA, K: 1}, ret}},
		{"jump before the start", []xbpf.RawInstruction{{Op: clsJMP | jmpJA, K: 0xfffffffe}, ret}},
		{"conditional past the end", []xbpf.RawInstruction{{Op: clsJMP | jmpJEQ, Jt: 0, Jf: 5}, ret}},
		{"scratch out of range", []xbpf.RawInstruction{{Op: clsST, K: 16}, ret}},
		{"divide by zero", []xbpf.RawInstruction{{Op: clsALU | aluDIV | srcK, K: 0}, ret}},
		{"unknown opcode", []xbpf.RawInstruction{{Op: 0xffff}, ret}},
	}
	for _, tt := range tests {
		if _, err := load(tt.prog); err == nil {
			t.Errorf("%s: load accepted it", tt.name)
		}
	}
}

// TestEndlessLoop checks that a program that jumps back forever, which
// libpcap would never produce, still ends, rejecting the packet.
func TestEndlessLoop(t *testing.T) {
	prog, err := load([]xbpf.RawInstruction{{Op: clsJMP | jmpJA, K: 0xffffffff}, {Op: clsRET | retK, K: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if v := run(prog, nil, 0); v != 0 {
		t.Fatalf("run = %d", v)
	}
}

func BenchmarkMatch(b *testing.B) {
	cases := []struct {
		name, expr string
		pkt        []byte
	}{
		{"tcp-port-80/match", "tcp port 80", packet("eth tcp 1234>80")},
		{"tcp-port-80/miss", "tcp port 80", packet("eth udp 80")},
		{"udp-host/match", "udp and host 198.18.0.1", packet("eth udp from A")},
		{"vlan-tcp/match", "vlan and tcp", packet("eth vlan tcp 80")},
	}
	for _, c := range cases {
		f, err := Compile(c.expr, sources.LinkEthernet, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/weir", func(b *testing.B) {
			for b.Loop() {
				f.Match(c.pkt, len(c.pkt))
			}
		})
		b.Run(c.name+"/xnet", func(b *testing.B) {
			insts, _ := xbpf.Disassemble(f.Instructions())
			vm, err := xbpf.NewVM(insts)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				vm.Run(c.pkt)
			}
		})
		b.Run(c.name+"/libpcap-cgo", func(b *testing.B) {
			ref := cbpf.New(f.Instructions())
			for b.Loop() {
				ref.Run(c.pkt, uint32(len(c.pkt)))
			}
		})
	}
}
