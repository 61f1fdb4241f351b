package irc

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

const register = "NICK weir\r\nUSER weir 0 * :weir test\r\n"

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{true, register, analyzer.Match},
		{true, "PASS secret\r\nNICK weir\r\n", analyzer.Match},
		{true, "PASS secret\r\n", analyzer.NeedMore},
		{true, "CAP LS 302\r\n", analyzer.Match},
		{true, "STARTTLS\r\n", analyzer.Match},
		{true, "NICK wei", analyzer.NeedMore},
		{true, "USER anonymous\r\n", analyzer.NoMatch}, // FTP, POP3
		{true, "PASS x\r\nQUIT\r\n", analyzer.NoMatch},
		{true, "\x16\x03\x01", analyzer.NoMatch},
		{true, strings.Repeat("A", 600), analyzer.NoMatch},
		{false, ":irc.example.net NOTICE * :*** Looking up your hostname\r\n", analyzer.Match},
		{false, "NOTICE AUTH :*** Checking Ident\r\n", analyzer.Match},
		{false, ":irc.example.net 001 weir :Welcome\r\n", analyzer.Match},
		{false, "220 mail.example.net ESMTP\r\n", analyzer.NoMatch},
		{false, ":irc.example.net", analyzer.NeedMore},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "irc-nick", "irc-server")
}

func TestParse(t *testing.T) {
	cases := []struct {
		line    string
		cmd     string
		nparams int
		prefix  bool
		ok      bool
	}{
		{":irc.example.net 001 weir :Welcome to IRC", "001", 2, true, true},
		{"@time=2023-01-01T00:00:00Z :n!u@h PRIVMSG #c :hi there", "PRIVMSG", 2, true, true},
		{"USER weir 0 * :real name", "USER", 4, false, true},
		{"STARTTLS", "STARTTLS", 0, false, true},
		{"PING :x", "PING", 1, false, true},
		{"01 x", "", 0, false, false},
		{": NICK x", "", 0, false, false},
		{"NICK\x00x y", "", 0, false, false},
		{"SSH-2.0-x", "", 0, false, false},
		{"@tags-only", "", 0, false, false},
	}
	for _, c := range cases {
		m, ok := parse([]byte(c.line))
		if ok != c.ok || string(m.command) != c.cmd || m.nparams != c.nparams || m.prefix != c.prefix {
			t.Errorf("parse(%q) = %q %d %v %v", c.line, m.command, m.nparams, m.prefix, ok)
		}
	}
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{
			name: "starttls-first",
			pieces: []antest.Piece{
				O("STARTTLS\r\n"), R(":irc.example.net 670  :STARTTLS successful, go ahead with TLS handshake\r\n"),
				O("\x16\x03\x01\x00\x05hello"),
			},
			want: antest.Expect{Service: "irc,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "cap-then-starttls",
			pieces: []antest.Piece{
				O("CAP LS 302\r\n"), R(":irc.example.net CAP * LS :tls multi-prefix\r\n"),
				O("STARTTLS\r\n"), R(":irc.example.net 670 * :STARTTLS successful\r\n"),
			},
			want: antest.Expect{Service: "irc,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "starttls-failed",
			pieces: []antest.Piece{
				O("STARTTLS\r\n"), R(":irc.example.net 691 * :STARTTLS failed\r\n"), O(register),
			},
			want: antest.Expect{Service: "irc", NoWeirds: true},
		},
		{
			name: "registration-welcome-skips",
			pieces: []antest.Piece{
				R(":irc.example.net NOTICE * :*** Looking up your hostname\r\n"), O(register),
				R(":irc.example.net 001 weir :Welcome to the network weir\r\n"),
				O("JOIN #weir\r\n"),
			},
			want: antest.Expect{Service: "irc", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name:   "server-only",
			pieces: []antest.Piece{R(":irc.example.net NOTICE * :*** hello\r\n")},
			want:   antest.Expect{},
		},
		{
			name:   "http-on-6667",
			pieces: []antest.Piece{O("GET / HTTP/1.1\r\n\r\n"), R("HTTP/1.1 400 Bad Request\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "tls-on-6667",
			pieces: []antest.Piece{O("\x16\x03\x01\x00\x05hello\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "chatter-without-registration",
			pieces: []antest.Piece{O(strings.Repeat("HELLO there\r\n", 70))},
			want:   antest.Expect{Violation: true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			antest.Check(t, "whole", antest.Replay(a, c.pieces...), c.want)
			antest.Check(t, "bytewise", antest.ReplayBytewise(a, c.pieces...), c.want)
		})
	}
}

func TestConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxLineLength = 0
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/irc: ") {
		t.Errorf("New accepted %+v (err %v)", cfg, err)
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "irc" || len(a.Ports()) != 4 || a.Ports()[1] != 6667 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	cmd, reply := []byte("NICK weir\r\n"), []byte(":irc.example.net NOTICE weir :hi\r\n")
	n := testing.AllocsPerRun(30, func() {
		h.Stream(true, cmd)
		h.Stream(false, reply)
	})
	if n != 0 {
		t.Fatalf("%v allocs per exchange", n)
	}
}

func FuzzSession(f *testing.F) {
	a := newAnalyzer(f)
	f.Add(antest.Conversation(O("STARTTLS\r\n"), R(":s 670 :go\r\n")))
	f.Add(antest.Conversation(O(register), R(":s 001 weir :hi\r\n")))
	f.Add(antest.Conversation(O("@a=b :n!u@h PRIVMSG #c :\x01ACTION x\x01\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		a.Detect(true, data)
		a.Detect(false, data)
	})
}
