package smtp

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

const (
	greeting = "220 mail.example.net ESMTP Postfix\r\n"
	ehloOK   = "250-mail.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
)

func TestDetect(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		isOrig bool
		data   string
		want   analyzer.Verdict
	}{
		{false, greeting, analyzer.Match},
		{false, "220-mail.example.net ESMTP\r\n220 ready\r\n", analyzer.Match},
		{false, "  220 hi\r\n", analyzer.Match},
		{false, "22", analyzer.NeedMore},
		{false, "220", analyzer.NeedMore},
		{false, "2201 x\r\n", analyzer.NoMatch},
		{false, "421 busy\r\n", analyzer.NoMatch},
		{true, greeting, analyzer.NoMatch},
		{true, "EHLO x\r\n", analyzer.NoMatch},
	}
	for _, c := range cases {
		if got := a.Detect(c.isOrig, []byte(c.data)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.isOrig, c.data, got, c.want)
		}
	}
	// FTP greets with 220 too: both analyzers start, commands decide.
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
			name: "starttls",
			pieces: []antest.Piece{
				R(greeting), O("EHLO client.example.org\r\n"), R(ehloOK),
				O("STARTTLS\r\n"), R("220 2.0.0 Ready to start TLS\r\n"),
				O("\x16\x03\x01\x00\x05hello"),
			},
			want: antest.Expect{Service: "smtp,ssl", SkipOrig: true, SkipResp: true, StartedSSL: true, NoWeirds: true},
		},
		{
			name: "starttls-refused",
			pieces: []antest.Piece{
				R(greeting), O("EHLO c\r\n"), R(ehloOK), O("STARTTLS\r\n"), R("454 4.7.0 TLS not available\r\n"),
			},
			want: antest.Expect{Service: "smtp", NoWeirds: true},
		},
		{
			name: "mail-transaction-skips",
			pieces: []antest.Piece{
				R(greeting), O("HELO c\r\n"), R("250 mail.example.net\r\n"),
				O("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"),
				R("250 2.1.0 Ok\r\n"), O("Subject: hi\r\n\r\nbody\r\n.\r\n"),
			},
			want: antest.Expect{Service: "smtp", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name: "auth-login",
			pieces: []antest.Piece{
				R(greeting), O("EHLO c\r\n"), R(ehloOK), O("AUTH LOGIN\r\n"), R("334 VXNlcm5hbWU6\r\n"),
				O("Ym9i\r\n"), R("334 UGFzc3dvcmQ6\r\n"), O("c2VjcmV0\r\n"), R("235 2.7.0 Authentication successful\r\n"),
			},
			want: antest.Expect{Service: "smtp", SkipOrig: true, SkipResp: true, NoWeirds: true},
		},
		{
			name:   "greeting-only",
			pieces: []antest.Piece{R(greeting), O("QUIT\r\n"), R("221 bye\r\n")},
			want:   antest.Expect{},
		},
		{
			name:   "ftp-session-is-not-smtp",
			pieces: []antest.Piece{R("220 ProFTPD Server ready.\r\n"), O("USER anonymous\r\n"), R("331 Password required\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "http-on-port-25",
			pieces: []antest.Piece{O("GET / HTTP/1.1\r\n\r\n"), R("HTTP/1.1 400 Bad Request\r\n")},
			want:   antest.Expect{Violation: true},
		},
		{
			name:   "bad-greeting-code",
			pieces: []antest.Piece{R("250 hello\r\n"), O("EHLO x\r\n"), R("250 ok\r\n")},
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

func TestParseReply(t *testing.T) {
	cases := []struct {
		line       string
		code       int
		more, isOK bool
	}{
		{"250 ok", 250, false, true},
		{"250-ok", 250, true, true},
		{"221", 221, false, true},
		{"25", 0, false, false},
		{"2500 x", 0, false, false},
		{"abc x", 0, false, false},
		{"099 x", 0, false, false},
	}
	for _, c := range cases {
		code, more, ok := parseReply([]byte(c.line))
		if code != c.code || more != c.more || ok != c.isOK {
			t.Errorf("parseReply(%q) = %d %v %v", c.line, code, more, ok)
		}
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
	if len(s.pending) > 4 || cap(s.pending) > 8 || !h.HasWeird("smtp_too_many_pending_commands") {
		t.Fatalf("pending %d cap %d: %v", len(s.pending), cap(s.pending), h)
	}
}

func TestConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPendingCommands = 0
	if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "analyzer/smtp: ") {
		t.Errorf("New accepted %+v (err %v)", cfg, err)
	}
	a, err := newFromTOML(nil)
	if err != nil || a.Name() != "smtp" || len(a.Ports()) != 2 || a.Ports()[0] != 25 || a.Ports()[1] != 587 {
		t.Fatalf("defaults: %v %v", a, err)
	}
}

func TestNoAllocs(t *testing.T) {
	h := antest.New(newAnalyzer(t))
	h.S(false, greeting)
	cmd, reply := []byte("NOOP\r\n"), []byte("250 2.0.0 Ok\r\n")
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
	f.Add(antest.Conversation(R(greeting), O("EHLO c\r\n"), R(ehloOK), O("STARTTLS\r\n"), R("220 go\r\n")))
	f.Add(antest.Conversation(R(greeting), O("AUTH LOGIN\r\n"), R("334 x\r\n"), O("eA==\r\n"), R("235 ok\r\n")))
	f.Add(antest.Conversation(R(greeting), O("MAIL FROM:<>\r\nDATA\r\n"), R("250 ok\r\n354 go\r\n")))
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
