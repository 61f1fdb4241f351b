package imap

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

const greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] mail.example.net IMAP server ready\r\n"

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{false, greeting, analyzer.Match},
		{false, "* PREAUTH IMAP4rev1 server logged in as Smith\r\n", analyzer.Match},
		{false, "* BYE Autologout; idle for too long\r\n", analyzer.Match},
		{false, "* ok hi\r\n", analyzer.Match},
		{false, "* O", analyzer.NeedMore},
		{false, "* OK", analyzer.NeedMore},
		{false, "* OKAY\r\n", analyzer.NoMatch},
		{false, "*OK\r\n", analyzer.NoMatch},
		{true, greeting, analyzer.NoMatch},
		{true, "a1 CAPABILITY\r\n", analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	antest.RefuseForeign(t, a, analyzer.TCP, "imap-greeting")
}

func TestSessions(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		name   string
		pieces []antest.Piece
		want   antest.Expect
	}{
		{
			name: "starttls",
			pieces: []antest.Piece{
				R(greeting), O(". CAPABILITY\r\n"),
				R("* CAPABILITY IMAP4rev1 STARTTLS\r\n. OK CAPABILITY completed\r\n"),
				O(". STARTTLS\r\n"), R(". OK Begin TLS negotiation now\r\n"),
				O("\x16\x03\x01\x00\x05hello"),
			},
			want: antest.Expect{Service: "imap,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "starttls-refused",
			pieces: []antest.Piece{
				R(greeting), O("a1 STARTTLS\r\n"), R("a1 BAD not now\r\n"), O("a2 NOOP\r\n"), R("a2 OK\r\n"),
			},
			want: antest.Expect{Service: "imap", Weird: "IMAP: server refused StartTLS"},
		},
		{
			name: "starttls-other-tag-ignored",
			pieces: []antest.Piece{
				R(greeting), O("a1 NOOP\r\na2 STARTTLS\r\n"), R("a1 OK NOOP done\r\n"),
			},
			want: antest.Expect{Service: "imap", NoWeirds: true},
		},
		{
			name: "login-skips",
			pieces: []antest.Piece{
				R(greeting), O("A001 LOGIN SMITH SESAME\r\n"), R("A001 OK LOGIN completed\r\n"),
				O("A002 SELECT INBOX\r\n"),
			},
			want: antest.Expect{Service: "imap", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name:   "preauth-skips",
			pieces: []antest.Piece{R("* PREAUTH ready\r\n"), O("a CAPABILITY\r\n")},
			want:   antest.Expect{Service: "imap", SkipOrig: true, SkipResp: true},
		},
		{
			name:   "greeting-only",
			pieces: []antest.Piece{R(greeting)},
			want:   antest.Expect{},
		},
		{
			name:   "bye-greeting-does-not-confirm",
			pieces: []antest.Piece{R("* BYE too many connections\r\n"), O("a1 NOOP\r\n")},
			want:   antest.Expect{},
		},
		{
			name:   "http-client",
			pieces: []antest.Piece{R(greeting), O("GET / HTTP/1.1\r\n\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "not-a-greeting",
			pieces: []antest.Piece{R("220 smtp ready\r\n"), O("a1 NOOP\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "server-garbage-before-confirmation",
			pieces: []antest.Piece{O("a1 NOOP\r\n"), R("* BYE\r\n"), R("garbage here\r\n")},
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

func TestLongLine(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	h.S(true, "a1 NOOP "+strings.Repeat("x", 20000)+"\r\n")
	if !h.HasWeird("contentline_size_exceeded") || h.Service() != "imap" {
		t.Fatalf("%v", h)
	}
}

func TestConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxLineLength = 1
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/imap: ") {
		t.Errorf("New accepted %+v (err %v)", cfg, err)
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "imap" || a.Transports() != analyzer.TCP || len(a.Ports()) != 1 || a.Ports()[0] != 143 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	cmd, reply := []byte("a1 NOOP\r\n"), []byte("* 3 EXISTS\r\na1 OK NOOP completed\r\n")
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
	f.Add(antest.Conversation(R(greeting), O(". CAPABILITY\r\n"), R(". OK\r\n"), O(". STARTTLS\r\n"), R(". OK go\r\n")))
	f.Add(antest.Conversation(R("* PREAUTH x\r\n"), O("a LOGIN a b\r\n")))
	f.Add(antest.Conversation(O("a1 NOOP\r\n"), R("* BYE\r\nfoo\r\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := antest.FuzzStream(a, data)
		if h.LateViolation {
			t.Fatalf("violation after confirmation: %v", h)
		}
		if len(h.Started) > 0 && !strings.HasPrefix(h.Service(), "imap") {
			t.Fatalf("hand-off without confirmation: %v", h)
		}
	})
}
