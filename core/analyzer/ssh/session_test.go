package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

type recSink struct {
	events     []event.Event
	weirds     []string
	confirms   int
	violations []string
	skips      []bool
}

func (r *recSink) Emit(ev event.Event)           { r.events = append(r.events, ev) }
func (r *recSink) Confirm(string)                { r.confirms++ }
func (r *recSink) Violation(_, reason string)    { r.violations = append(r.violations, reason) }
func (r *recSink) Weird(name, _ string, _ int64) { r.weirds = append(r.weirds, name) }
func (r *recSink) Skip(_ string, isOrig bool)    { r.skips = append(r.skips, isOrig) }
func (r *recSink) Start(string) bool             { return false }
func (r *recSink) Redetect()                     {}

var testID = event.ConnID{
	OrigH: netip.MustParseAddr("198.18.0.1"), OrigP: 40000,
	RespH: netip.MustParseAddr("203.0.113.9"), RespP: 22, Proto: event.TransportTCP,
}

func newTestSession(t testing.TB, mod func(*Config)) (*Session, *recSink) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.LocalNets = []string{"198.18.0.0/15"}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recSink{}
	return a.NewSession(analyzer.NewConn("CsshTest", testID, 1, Name, sink)).(*Session), sink
}

// pkt frames an SSH-2 packet with padding to a multiple of 8.
func pkt(msg byte, payload []byte) []byte {
	n := 1 + len(payload)
	pad := 8 - (4+1+n)%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(1+n+pad))
	b = append(b, byte(pad), msg)
	b = append(b, payload...)
	return append(b, make([]byte, pad)...)
}

func sshString(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// kexinit builds a KEXINIT payload from ten name-lists.
func kexinit(lists ...string) []byte {
	b := make([]byte, 16)
	for _, l := range lists {
		b = append(b, sshString([]byte(l))...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

var (
	clientKex = kexinit(
		"sntrup761x25519-sha512@openssh.com,curve25519-sha256,ext-info-c",
		"ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,rsa-sha2-512",
		"chacha20-poly1305@openssh.com,aes128-ctr", "chacha20-poly1305@openssh.com,aes128-ctr",
		"umac-64-etm@openssh.com,hmac-sha2-256", "umac-64-etm@openssh.com,hmac-sha2-256",
		"none,zlib@openssh.com", "none,zlib@openssh.com", "", "")
	serverKex = kexinit(
		"curve25519-sha256,sntrup761x25519-sha512@openssh.com",
		"rsa-sha2-512,ssh-ed25519",
		"aes128-ctr,chacha20-poly1305@openssh.com", "aes128-ctr,chacha20-poly1305@openssh.com",
		"hmac-sha2-256,umac-64-etm@openssh.com", "hmac-sha2-256,umac-64-etm@openssh.com",
		"none,zlib@openssh.com", "none,zlib@openssh.com", "", "")
	hostKeyBlob = append(sshString([]byte("ssh-ed25519")), sshString([]byte("0123456789abcdef0123456789abcdef"))...)
	ecdhReply   = append(append(sshString(hostKeyBlob), sshString(make([]byte, 32))...), sshString(make([]byte, 83))...)
)

func fingerprint(b []byte) string {
	sum := md5.Sum(b)
	var parts []string
	for _, c := range sum {
		parts = append(parts, fmt.Sprintf("%02x", c))
	}
	return strings.Join(parts, ":")
}

// handshake is the unencrypted start of a connection: banners, KEXINITs,
// ECDH, NEWKEYS, one segment per message.
func handshake(clientBanner, serverBanner string) []step {
	return []step{
		{false, []byte(serverBanner)},
		{true, []byte(clientBanner)},
		{true, pkt(msgKexInit, clientKex)},
		{false, pkt(msgKexInit, serverKex)},
		{true, pkt(30, sshString(make([]byte, 32)))},
		{false, append(pkt(31, ecdhReply), pkt(msgNewKeys, nil)...)},
		{true, pkt(msgNewKeys, nil)},
	}
}

type step struct {
	orig bool
	data []byte
}

// enc is an encrypted segment of n bytes.
func enc(orig bool, n int) step { return step{orig, make([]byte, n)} }

func play(s *Session, steps []step) {
	for i, st := range steps {
		s.Stream(int64(10+i), st.orig, st.data)
	}
}

// rec renders the record like an ssh.log line from version on.
func rec(r *event.SSH) string {
	opt := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	ver := "-"
	if r.HasVersion {
		ver = fmt.Sprint(r.Version)
	}
	auth := map[event.Tristate]string{event.Unset: "-", event.True: "T", event.False: "F"}[r.AuthSuccess]
	return strings.Join([]string{ver, auth, fmt.Sprint(r.AuthAttempts), opt(r.Direction), opt(r.Client), opt(r.Server),
		opt(r.CipherAlg), opt(r.MACAlg), opt(r.CompressionAlg), opt(r.KexAlg), opt(r.HostKeyAlg), opt(r.HostKey)}, " ")
}

const (
	clientBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
	serverBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
)

var algs = "chacha20-poly1305@openssh.com umac-64-etm@openssh.com none sntrup761x25519-sha512@openssh.com ssh-ed25519"

func TestSSH(t *testing.T) {
	fp := fingerprint(hostKeyBlob)
	banners := "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
	cases := []struct {
		name   string
		cfg    func(*Config)
		steps  []step
		want   string
		atOnce bool // published before End (a success)
	}{
		{
			name: "login after a failed password",
			steps: append(handshake(clientBanner, serverBanner),
				enc(true, 44), enc(false, 44), // SERVICE_REQUEST, SERVICE_ACCEPT
				enc(true, 96), enc(false, 60), // password, USERAUTH_FAILURE
				enc(true, 96), enc(false, 60), // password, USERAUTH_FAILURE
				enc(true, 96), enc(false, 28), // password, USERAUTH_SUCCESS
			),
			want:   "2 T 2 OUTBOUND " + banners + " " + algs + " " + fp,
			atOnce: true,
		},
		{
			name: "failed passwords only",
			steps: append(handshake(clientBanner, serverBanner),
				enc(true, 44), enc(false, 44),
				enc(true, 96), enc(false, 60),
				enc(true, 96), enc(false, 60),
				enc(true, 96), enc(false, 60),
			),
			want: "2 F 2 OUTBOUND " + banners + " " + algs + " " + fp,
		},
		{
			name: "a banner before the first failure is skipped",
			steps: append(handshake(clientBanner, serverBanner),
				enc(true, 44), enc(false, 44),
				enc(true, 96), enc(false, 600), // SSH_MSG_USERAUTH_BANNER
				enc(true, 96), enc(false, 28),
			),
			want:   "2 T 1 OUTBOUND " + banners + " " + algs + " " + fp,
			atOnce: true,
		},
		{
			name: "no verdict under compression",
			steps: append(handshake(clientBanner, serverBanner),
				enc(true, 44), enc(false, 44), enc(true, 96), enc(false, 28)),
			cfg:  func(c *Config) { c.CompressionAlgorithms = []string{"none"} },
			want: "2 - 0 OUTBOUND " + banners + " " + algs + " " + fp,
		},
		{
			name:  "server lines before its banner, an SSH-1.99 server",
			steps: handshake(clientBanner, "Welcome\r\nNo guests\r\nSSH-1.99-OpenSSH_3.9p1\r\n"),
			want:  "2 - 0 OUTBOUND SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 SSH-1.99-OpenSSH_3.9p1 " + algs + " " + fp,
		},
		{
			name: "SSH-1 client against an SSH-2 server",
			steps: []step{
				{false, []byte("SSH-2.0-srv\n")}, {true, []byte("SSH-1.5-cli\n")},
			},
			want: "0 - 0 OUTBOUND SSH-1.5-cli SSH-2.0-srv - - - - - -",
		},
		{
			name:  "one banner only",
			steps: []step{{false, []byte("SSH-2.0-OpenSSH_9.2\r\n")}},
			want:  "- - 0 OUTBOUND - SSH-2.0-OpenSSH_9.2 - - - - - -",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, sink := newTestSession(t, tc.cfg)
			play(s, tc.steps)
			if tc.atOnce != (len(sink.events) == 1) {
				t.Errorf("published before End: %v, want %v", len(sink.events) == 1, tc.atOnce)
			}
			s.End(100)
			if len(sink.events) != 1 {
				t.Fatalf("%d events", len(sink.events))
			}
			if got := rec(sink.events[0].SSH); got != tc.want {
				t.Errorf("record\n got %s\nwant %s", got, tc.want)
			}
			if len(sink.violations) != 0 {
				t.Errorf("violations %q", sink.violations)
			}
			if tc.atOnce && len(sink.skips) != 2 {
				t.Errorf("skips %v after a success", sink.skips)
			}
		})
	}
}

// TestSSHSplitting feeds the unencrypted handshake, in its order, in
// pieces of every size, and coalesced: the record must not change.
func TestSSHSplitting(t *testing.T) {
	steps := handshake(clientBanner, serverBanner)
	var want string
	check := func(name string, feed func(s *Session)) {
		s, sink := newTestSession(t, nil)
		feed(s)
		s.End(2)
		if sink.confirms != 1 || len(sink.events) != 1 {
			t.Fatalf("%s: confirms %d events %d violations %q", name, sink.confirms, len(sink.events), sink.violations)
		}
		got := rec(sink.events[0].SSH)
		if want == "" {
			want = got
			if !strings.Contains(got, fingerprint(hostKeyBlob)) {
				t.Fatalf("no host key: %s", got)
			}
		} else if got != want {
			t.Fatalf("%s: %s, want %s", name, got, want)
		}
	}
	for size := 1; size <= 200; size += 3 {
		check(fmt.Sprint("size ", size), func(s *Session) {
			for _, st := range steps {
				for i := 0; i < len(st.data); i += size {
					s.Stream(1, st.orig, st.data[i:min(i+size, len(st.data))])
				}
			}
		})
	}
	// Each side's messages in one segment, the server first.
	check("coalesced", func(s *Session) {
		var orig, resp []byte
		for _, st := range steps {
			if st.orig {
				orig = append(orig, st.data...)
			} else {
				resp = append(resp, st.data...)
			}
		}
		s.Stream(1, true, orig[:len(clientBanner)+len(pkt(msgKexInit, clientKex))])
		s.Stream(1, false, resp)
		s.Stream(1, true, orig[len(clientBanner)+len(pkt(msgKexInit, clientKex)):])
	})
}

func TestSSHHostKeyInGroupExchange(t *testing.T) {
	kexC := kexinit("diffie-hellman-group-exchange-sha256", "rsa-sha2-256", "aes128-ctr", "aes128-ctr",
		"hmac-sha1", "hmac-sha1", "none", "none", "", "")
	s, sink := newTestSession(t, nil)
	play(s, []step{
		{false, []byte(serverBanner)}, {true, []byte(clientBanner)},
		{true, pkt(msgKexInit, kexC)}, {false, pkt(msgKexInit, kexC)},
		{true, pkt(34, []byte{0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 32, 0})},
		{false, pkt(31, append(sshString([]byte{0x7f}), sshString([]byte{2})...))}, // GROUP, not a key
		{true, pkt(32, sshString([]byte{1, 2, 3}))},
		{false, pkt(33, ecdhReply)},
	})
	s.End(1)
	if got := sink.events[0].SSH.HostKey; got != fingerprint(hostKeyBlob) {
		t.Errorf("host key %q", got)
	}
	if sink.confirms != 0 {
		t.Errorf("confirmed without NEWKEYS")
	}
}

func TestNotSSH(t *testing.T) {
	for _, in := range []string{"GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00\xa5"} {
		s, sink := newTestSession(t, nil)
		s.Stream(1, true, []byte(in+"\n"))
		s.End(2)
		if len(sink.violations) != 1 {
			t.Errorf("%q: violations %q", in, sink.violations)
		}
	}
	// A packet length beyond the bound.
	s, sink := newTestSession(t, nil)
	play(s, []step{{false, []byte(serverBanner)}, {true, []byte(clientBanner)}, {true, []byte{0x7f, 0xff, 0xff, 0xff, 1, 2}}})
	if len(sink.violations) != 1 {
		t.Errorf("huge packet: violations %q", sink.violations)
	}
	// An endless banner line.
	s, sink = newTestSession(t, nil)
	s.Stream(1, false, []byte("SSH-2.0-"+strings.Repeat("x", 5000)))
	if len(sink.violations) != 1 || len(s.dirs[1].buf) > maxBanner {
		t.Errorf("long banner: violations %q, buffer %d", sink.violations, len(s.dirs[1].buf))
	}
}

func TestDetect(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, c := range []struct {
		orig bool
		in   string
		want analyzer.Verdict
	}{
		{true, "SSH-2.0-OpenSSH", analyzer.Match},
		{true, "SSH-", analyzer.NeedMore},
		{true, "SS", analyzer.NeedMore},
		{true, "SSH-x", analyzer.NoMatch},
		{true, "GET /", analyzer.NoMatch},
		{false, "Hello\r\nSSH-1.99-srv\r\n", analyzer.Match},
		{false, "Hello\r\n", analyzer.NeedMore},
		{true, "Hello\r\nSSH-2.0-x", analyzer.NoMatch},
	} {
		if got := a.Detect(c.orig, []byte(c.in)); got != c.want {
			t.Errorf("Detect(%v, %q) = %v, want %v", c.orig, c.in, got, c.want)
		}
	}
}

func FuzzSSH(f *testing.F) {
	var orig, resp []byte
	for _, st := range handshake(clientBanner, serverBanner) {
		if st.orig {
			orig = append(orig, st.data...)
		} else {
			resp = append(resp, st.data...)
		}
	}
	f.Add(orig, resp, uint8(5))
	f.Add([]byte("SSH-1.5-cli\n\x00\x00\x00\x05"), []byte("SSH-1.99-srv\n"), uint8(1))
	f.Fuzz(func(t *testing.T, orig, resp []byte, split uint8) {
		s, sink := newTestSession(t, func(c *Config) { c.MaxPacket = 35000 })
		n := int(split)%64 + 1
		for len(orig) > 0 || len(resp) > 0 {
			if len(resp) > 0 {
				k := min(n, len(resp))
				s.Stream(1, false, resp[:k])
				resp = resp[k:]
			}
			if len(orig) > 0 {
				k := min(n, len(orig))
				s.Stream(1, true, orig[:k])
				orig = orig[k:]
			}
			for _, d := range s.dirs {
				if len(d.buf) > 35000+16 || len(d.buf) > maxBanner && d.state == stVersion {
					t.Fatalf("buffer %d in state %d", len(d.buf), d.state)
				}
			}
		}
		s.End(2)
		if len(sink.events) > 1 {
			t.Fatalf("%d records", len(sink.events))
		}
	})
}
