package pop3

import (
	"strings"
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

var (
	O = antest.O
	R = antest.R
)

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{false, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", analyzer.Match},
		{false, "+OK\r\n", analyzer.Match},
		{false, "+ok hello\r\n", analyzer.NoMatch}, // Zeek's signature is case-sensitive
		{false, "+O", analyzer.NeedMore},
		{false, "+OK", analyzer.NeedMore},
		{false, "+OKAY\r\n", analyzer.NoMatch},
		{false, "-ERR busy\r\n", analyzer.NoMatch},
		{true, "+OK\r\n", analyzer.NoMatch},
		{true, "USER bob\r\n", analyzer.NoMatch},
		{false, "", analyzer.NeedMore},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "pop3-greeting")
}

const greeting = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{
			name: "capa-pipelined-with-quit",
			pieces: []antest.Piece{
				R(greeting), O("CAPA\r\nQUIT\r\n"),
				R("+OK Capability list follows\r\nTOP\r\nUSER\r\nSTLS\r\n.\r\n"),
				R("+OK POP3 server signing off\r\n"),
			},
			want: antest.Expect{Service: "pop3", NoWeirds: true},
		},
		{
			name: "user-pass-then-skip",
			pieces: []antest.Piece{
				R(greeting), O("USER mrose\r\n"), R("+OK mrose is a real hoopy frood\r\n"),
				O("PASS secret\r\n"), R("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
				O("RETR 1\r\n"), R("+OK 120 octets\r\nnot a status line\r\n.\r\n"),
			},
			want: antest.Expect{Service: "pop3", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name: "auth-plain-sasl",
			pieces: []antest.Piece{
				R(greeting), O("AUTH PLAIN\r\n"), R("+ \r\n"),
				O("AGJvYgBzZWNyZXQ=\r\n"), R("+OK maildrop locked and ready\r\n"),
			},
			want: antest.Expect{Service: "pop3", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name: "auth-failed-then-capa",
			pieces: []antest.Piece{
				R(greeting), O("AUTH\r\n"), R("-ERR 1 argument required\r\n"),
				O("CAPA\r\n"), R("+OK\r\nSASL PLAIN\r\n.\r\n"),
			},
			want: antest.Expect{Service: "pop3", NoWeirds: true},
		},
		{
			name:   "greeting-only",
			pieces: []antest.Piece{R(greeting)},
			want:   antest.Expect{Service: ""},
		},
		{
			name:   "quit-only-does-not-confirm",
			pieces: []antest.Piece{R(greeting), O("QUIT\r\n"), R("+OK bye\r\n")},
			want:   antest.Expect{Service: ""},
		},
		{
			name: "stls",
			pieces: []antest.Piece{
				R(greeting), O("STLS\r\n"), R("+OK Begin TLS negotiation\r\n"),
				O("\x16\x03\x01\x00\x05hello"), R("\x16\x03\x03\x00\x05world"),
			},
			want: antest.Expect{Service: "pop3,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "stls-refused",
			pieces: []antest.Piece{
				R(greeting), O("STLS\r\n"), R("-ERR TLS not available\r\n"),
				O("USER bob\r\n"), R("+OK\r\n"),
			},
			want: antest.Expect{Service: "pop3"},
		},
		{
			name:   "http-on-port-110",
			pieces: []antest.Piece{O("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), R("HTTP/1.1 400 Bad Request\r\n\r\n")},
			want:   antest.Expect{Violation: true, Weird: "pop3_client_command_unknown"},
		},
		{
			name:   "garbage-after-greeting",
			pieces: []antest.Piece{R(greeting), O("USER x\r\n"), R("220 ftp ready\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name: "garbage-after-confirmation-is-weird",
			pieces: []antest.Piece{
				R(greeting), O("USER x\r\n"), R("+OK\r\n"), O("NOOP\r\n"), R("what?\r\n"),
			},
			want: antest.Expect{Service: "pop3", Weird: "pop3_server_command_unknown"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

// After the hand-off the TLS bytes are not delivered to the POP3 session.
func TestSTLSStopsDelivery(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	h.S(true, "STLS\r\n")
	h.S(false, "+OK\r\n")
	if h.S(true, "\x16\x03\x01") || h.S(false, "\x16\x03\x03") {
		t.Fatalf("bytes delivered after STLS hand-off: %v", h)
	}
	if strings.Join(h.Started, ",") != "ssl" {
		t.Fatalf("started %q", h.Started)
	}
}

// Without a TLS analyzer configured the session still stops.
func TestSTLSWithoutSSL(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.StartOK = false
	h.S(false, greeting)
	h.S(true, "STLS\r\n")
	h.S(false, "+OK\r\n")
	if h.Service() != "pop3" || !h.Skipped(true) || !h.Skipped(false) {
		t.Fatalf("%v", h)
	}
}

func TestLongLine(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	long := strings.Repeat("A", 10000)
	h.S(true, "USER "+long)
	h.S(true, long+"\r\n")
	h.S(false, "+OK\r\n")
	if !h.HasWeird("contentline_size_exceeded") || h.Service() != "pop3" {
		t.Fatalf("%v", h)
	}
}

func TestPendingBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPendingCommands = 4
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := antest.New(a)
	h.S(false, greeting)
	h.S(true, strings.Repeat("NOOP\r\n", 100))
	s := h.Session.(*session)
	if len(s.pending) > 4 || cap(s.pending) > 8 || !h.HasWeird("pop3_too_many_pending_commands") {
		t.Fatalf("pending %d cap %d: %v", len(s.pending), cap(s.pending), h)
	}
}

func TestConfig(t *testing.T) {
	for _, bad := range []func(*Config){
		func(c *Config) { c.MaxLineLength = 10 },
		func(c *Config) { c.MaxPendingCommands = 0 },
	} {
		cfg := DefaultConfig()
		bad(&cfg)
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/pop3: ") {
			t.Errorf("New accepted %+v (err %v)", cfg, err)
		}
	}
	f, err := newFromTOML(nil)
	if err != nil || f.Name() != "pop3" || f.Transports() != analyzer.TCP || len(f.Ports()) != 1 || f.Ports()[0] != 110 {
		t.Fatalf("defaults: %v %v", f, err)
	}
}

// A warm session allocates nothing per delivery.
func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	cmd, reply := []byte("NOOP\r\n"), []byte("-ERR not yet\r\n")
	n := testing.AllocsPerRun(200, func() {
		h.Stream(true, cmd)
		h.Stream(false, reply)
	})
	if n != 0 {
		t.Fatalf("%v allocs per exchange", n)
	}
}

func FuzzSession(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(antest.Conversation(R(greeting), O("CAPA\r\nQUIT\r\n"), R("+OK\r\nTOP\r\n.\r\n+OK bye\r\n")))
	f.Add(antest.Conversation(R(greeting), O("AUTH PLAIN\r\n"), R("+ \r\n"), O("AAAA\r\n"), R("+OK\r\n")))
	f.Add(antest.Conversation(R(greeting), O("STLS\r\n"), R("+OK\r\n"), O("\x16\x03\x01")))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		s := h.Session.(*session)
		if len(s.pending) > a.cfg.MaxPendingCommands {
			t.Fatalf("pending %d", len(s.pending))
		}
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
	})
}
