package ntp

import (
	"encoding/binary"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// client is an NTPv4 client request as ntpd sends it.
func client() []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | 3 // LI 0, VN 4, mode 3
	b[2] = 6        // poll 64 s
	b[3] = 0xe9     // precision -23
	binary.BigEndian.PutUint64(b[40:], 0xe9e5_3c10_1234_5678)
	return b
}

// server is a stratum 2 server's reply.
func server() []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | 4
	b[1] = 2
	b[2] = 6
	b[3] = 0xe7
	copy(b[12:16], []byte{198, 18, 0, 1}) // reference id
	binary.BigEndian.PutUint64(b[16:], 0xe9e5_3b00_0000_0000)
	binary.BigEndian.PutUint64(b[24:], 0xe9e5_3c10_1234_5678)
	binary.BigEndian.PutUint64(b[32:], 0xe9e5_3c10_2000_0000)
	binary.BigEndian.PutUint64(b[40:], 0xe9e5_3c10_2000_1000)
	return b
}

func withMAC(b []byte, n int) []byte { return append(append([]byte(nil), b...), make([]byte, n)...) }

func TestCheck(t *testing.T) {
	ext := withMAC(client(), 16)
	binary.BigEndian.PutUint16(ext[48+2:], 16)
	badExt := withMAC(client(), 16)
	binary.BigEndian.PutUint16(badExt[48+2:], 18)
	ctl := []byte{0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 'a', '=', '1', 0}
	cases := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"client", client(), true},
		{"server", server(), true},
		{"md5-mac", withMAC(server(), 20), true},
		{"sha1-mac", withMAC(server(), 24), true},
		{"crypto-nak", withMAC(server(), 4), true},
		{"extension-field", ext, true},
		{"bad-extension-length", badExt, false},
		{"odd-trailer", withMAC(server(), 7), false},
		{"short", client()[:40], false},
		{"mode-0", append([]byte{4 << 3}, make([]byte, 47)...), false},
		{"version-0", append([]byte{3}, make([]byte, 47)...), false},
		{"version-5", append([]byte{5<<3 | 3}, make([]byte, 47)...), false},
		{"stratum-17", func() []byte { b := server(); b[1] = 17; return b }(), false},
		{"positive-precision", func() []byte { b := server(); b[3] = 3; return b }(), false},
		{"control", ctl, true},
		{"control-count-beyond", func() []byte { b := append([]byte(nil), ctl...); b[11] = 40; return b }(), false},
		{"private", []byte{0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0}, true},
		{"empty", nil, false},
	}
	for _, c := range cases {
		if got := check(c.b) == ""; got != c.ok {
			t.Errorf("%s: check = %q", c.name, check(c.b))
		}
	}
}

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	for _, b := range [][]byte{client(), server(), withMAC(server(), 20)} {
		if v := a.Detect(true, b); v != analyzer.Match {
			t.Errorf("Detect(% x) = %v", b[:4], v)
		}
	}
	sntp := make([]byte, 48)
	sntp[0] = 0x23 // an SNTP client that leaves every field zero
	for name, b := range map[string][]byte{
		"zeros-with-mode": sntp,
		"unsynced-server": func() []byte { b := server(); b[1] = 0; return b }(),
		"v4-with-ext":     func() []byte { b := withMAC(client(), 16); binary.BigEndian.PutUint16(b[50:], 16); return b }(),
		"mode-6":          {0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if v := a.Detect(true, b); v != analyzer.NoMatch {
			t.Errorf("Detect(%s) = %v, want NoMatch", name, v)
		}
	}
	antest.RefuseForeign(t, a, analyzer.UDP|analyzer.TCP, "ntp-client")
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"request-reply", []antest.Piece{antest.OB(client()), antest.RB(server())}, antest.Expect{Service: "ntp"}},
		{"reply-first", []antest.Piece{antest.RB(server()), antest.OB(client())}, antest.Expect{Service: "ntp"}},
		// A server's message from the originator: the roles flip, and
		// with nothing left to decide both directions are skipped.
		{"server-from-orig", []antest.Piece{antest.OB(server()), antest.RB(client())}, antest.Expect{Service: "ntp", SkipOrig: true, SkipResp: true}},
		{"sntp-zero-client", []antest.Piece{antest.OB(append([]byte{0x1b}, make([]byte, 47)...))}, antest.Expect{Service: "ntp"}},
		{"dns-on-123", []antest.Piece{antest.OB(antest.Hex("12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"))}, antest.Expect{Violation: true}},
		{"garbage", []antest.Piece{antest.OB([]byte("hello world, this is not a time protocol message at all!!"))}, antest.Expect{Violation: true}},
	}
	for _, c := range cases {
		antest.Check(t, c.name, antest.Replay(a, c.pieces...), c.want)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "ntp" || a.Transports() != analyzer.UDP || a.Ports()[0] != 123 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a := newAnalyzer(t)
	b := withMAC(server(), 20)
	if n := testing.AllocsPerRun(100, func() { a.Detect(false, b); check(b) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzCheck(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(client())
	f.Add(withMAC(server(), 20))
	f.Add([]byte{0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 'a', '=', '1', 0})
	f.Add([]byte{0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := check(b) == ""
		if a.Detect(true, b) == analyzer.Match && !ok {
			t.Fatal("detected a malformed message")
		}
		h := antest.Replay(a, antest.Piece{IsOrig: true, Data: b})
		if h.Confirmed != ok {
			t.Fatalf("confirmed=%v for check %q", h.Confirmed, check(b))
		}
	})
}

// Zeek's NTP analyzer flips the roles once, on a server's message from the
// originator or a client's from the responder, wherever in the exchange.
func TestFlip(t *testing.T) {
	a := newAnalyzer(t)
	type dg struct {
		orig bool
		b    []byte
	}
	for _, c := range []struct {
		name   string
		dgrams []dg
		flips  int
	}{
		{"normal", []dg{{true, client()}, {false, server()}, {true, client()}, {false, server()}}, 0},
		{"server first", []dg{{true, server()}, {true, client()}}, 1},
		{"client from responder later", []dg{{true, client()}, {false, server()}, {false, client()}, {false, client()}}, 1},
	} {
		h := antest.New(a)
		for _, d := range c.dgrams {
			h.Datagram(d.orig, d.b)
		}
		if h.Flips != c.flips {
			t.Errorf("%s: %d flips, want %d", c.name, h.Flips, c.flips)
		}
	}
}
