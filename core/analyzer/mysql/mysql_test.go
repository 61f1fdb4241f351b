package mysql

import (
	"encoding/binary"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func packet(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// greeting is a MySQL 8.0 initial handshake.
func greeting() []byte {
	p := []byte{protocol10}
	p = append(p, "8.0.36"...)
	p = append(p, 0)
	p = append(p, 0x0b, 0, 0, 0)                         // connection id
	p = append(p, "abcdefgh"...)                         // scramble part 1
	p = append(p, 0)                                     // filler
	p = append(p, 0xff, 0xff, 0xff, 0x02, 0, 0xff, 0xdf) // flags, charset, status, flags
	p = append(p, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)      // auth length, reserved
	p = append(p, "ijklmnopqrst\x00caching_sha2_password\x00"...)
	return packet(0, p)
}

func response(flags uint32, user string) []byte {
	p := binary.LittleEndian.AppendUint32(nil, flags)
	p = binary.LittleEndian.AppendUint32(p, 1<<24)
	p = append(p, 0xff)
	p = append(p, make([]byte, 23)...)
	if user != "" {
		p = append(p, user...)
		p = append(p, 0, 0)
	}
	return packet(1, p)
}

var (
	login      = response(clientProtocol41|0x000fa685, "root")
	sslRequest = response(clientProtocol41|clientSSL|0x000fa685, "")
	denied     = packet(0, append([]byte{0xff, 0x6a, 0x04}, "Host '198.18.0.1' is not allowed to connect"...))
)

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	g := greeting()
	cases := []struct {
		isOrig bool
		data   []byte
		want   analyzer.Verdict
	}{
		{false, g, analyzer.Match},
		{false, g[:3], analyzer.NeedMore},
		{false, g[:30], analyzer.NeedMore},
		{false, denied, analyzer.NoMatch},
		{true, g, analyzer.NoMatch},
		{false, packet(1, g[4:]), analyzer.NoMatch},
		{false, packet(0, append([]byte{10}, "8.0\x01\x00xxxxxxxxxxxxxxxxxxxx"...)), analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, c.data); got != c.want {
			t.Errorf("Detect(%v, % x) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "mysql-greeting")
}

func TestSessions(t *testing.T) {
	a, _ := New(DefaultConfig())
	O, R := antest.OB, antest.RB
	for _, c := range []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{"login", []antest.Piece{R(greeting()), O(login)}, antest.Expect{Service: "mysql", SkipOrig: true, SkipResp: true}},
		{"ssl", []antest.Piece{R(greeting()), O(sslRequest), antest.O("\x16\x03\x01\x00\x05hello")}, antest.Expect{Service: "mysql,ssl", StartedSSL: true, SkipOrig: true, SkipResp: true}},
		{"denied", []antest.Piece{R(denied)}, antest.Expect{SkipOrig: true, SkipResp: true}},
		{"greeting-only", []antest.Piece{R(greeting())}, antest.Expect{}},
		{"http-client", []antest.Piece{R(greeting()), antest.O("GET / HTTP/1.1\r\n\r\n")}, antest.Expect{Violation: true}},
		{"bad-filler", []antest.Piece{R(greeting()), O(func() []byte { b := append([]byte(nil), login...); b[20] = 1; return b }())}, antest.Expect{Violation: true}},
		{"http-server", []antest.Piece{antest.R("HTTP/1.1 200 OK\r\n\r\n")}, antest.Expect{Violation: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Ports: []uint16{0}}); err == nil {
		t.Error("port 0 accepted")
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "mysql" || len(a.Ports()) != 2 || a.Ports()[1] != 3306 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	a, _ := New(DefaultConfig())
	g := greeting()
	if n := testing.AllocsPerRun(100, func() { a.Detect(false, g) }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzSession(f *testing.F) {
	a, _ := New(DefaultConfig())
	f.Add(antest.Conversation(antest.RB(greeting()), antest.OB(login)))
	f.Add(antest.Conversation(antest.RB(greeting()), antest.OB(sslRequest)))
	f.Add(antest.Conversation(antest.RB(denied)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(false, data)
	})
}
