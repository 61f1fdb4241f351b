package ftp

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

const greeting = "220 ProFTPD 1.3.8 Server (Debian) [198.18.0.2]\r\n"

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{false, greeting, analyzer.Match},
		{false, "220-Welcome\r\n220-to the archive\r\n220 ready\r\n", analyzer.Match},
		{false, "120 Service ready in 5 minutes\r\n", analyzer.Match},
		{false, "\r\n220 x\r\n", analyzer.Match},
		{false, "12", analyzer.NeedMore},
		{false, "220", analyzer.NeedMore},
		{false, "2200 x\r\n", analyzer.NoMatch},
		{false, "230 x\r\n", analyzer.NoMatch},
		{true, greeting, analyzer.NoMatch},
		{true, "USER anonymous\r\n", analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "smtp-greeting")
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{
			name: "anonymous-login-skips",
			pieces: []antest.Piece{
				R(greeting), O("USER anonymous\r\n"), R("331 Anonymous login ok, send your complete email address as your password\r\n"),
				O("PASS guest@\r\n"), R("230-Welcome\r\n  this line is free text\r\n230 Anonymous access granted\r\n"),
				O("PASV\r\n"),
			},
			want: antest.Expect{Service: "ftp", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name: "auth-tls",
			pieces: []antest.Piece{
				R(greeting), O("AUTH TLS\r\n"), R("234 AUTH TLS successful\r\n"),
				O("\x16\x03\x01\x00\x05hello"),
			},
			want: antest.Expect{Service: "ftp,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "feat-multiline",
			pieces: []antest.Piece{
				R("120 wait\r\n" + greeting), O("FEAT\r\n"), R("211-Features:\r\n MDTM\r\n 211 indented is text\r\n AUTH TLS\r\n211 End\r\n"),
			},
			want: antest.Expect{Service: "ftp", NoWeirds: true},
		},
		{
			name:   "login-refused-is-not-confirmed",
			pieces: []antest.Piece{R(greeting), O("USER root\r\n"), R("530 Login incorrect.\r\n")},
			want:   antest.Expect{},
		},
		{
			name:   "smtp-session-is-not-ftp",
			pieces: []antest.Piece{R("220 mail ESMTP\r\n"), O("EHLO c\r\n"), R("250 ok\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "server-garbage",
			pieces: []antest.Piece{R(greeting), O("USER a\r\n"), R("hello there\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "bad-greeting",
			pieces: []antest.Piece{R("500 no\r\n"), O("USER a\r\n"), R("331 ok\r\n")},
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
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/ftp: ") {
		t.Errorf("New accepted %+v (err %v)", cfg, err)
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "ftp" || len(a.Ports()) != 2 || a.Ports()[0] != 21 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	cmd, reply := []byte("NOOP\r\n"), []byte("200 NOOP ok\r\n")
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
	f.Add(antest.Conversation(R(greeting), O("USER a\r\n"), R("331 ok\r\n"), O("PASS b\r\n"), R("230 in\r\n")))
	f.Add(antest.Conversation(R(greeting), O("AUTH TLS\r\n"), R("234 go\r\n")))
	f.Add(antest.Conversation(R("220-a\r\nfree\r\n220 b\r\n"), O("FEAT\r\n"), R("211-x\r\n211 y\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		if len(h.Session.(*session).pending) > a.cfg.MaxPendingCommands {
			t.Fatal("pending unbounded")
		}
	})
}
