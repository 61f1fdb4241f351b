package ssh

import (
	"github.com/weirnet/weir/core/analyzer/internal/antest"
	"slices"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// TestRealCaptures reads the captures testdata/capture_http_ssh.sh made
// with OpenSSH 9.2: a key login, then three wrong passwords on one
// connection and one with sshpass. The host key fingerprint was checked
// against the key tshark extracts from the KEX_ECDH_REPLY.
func TestRealCaptures(t *testing.T) {
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	const (
		banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"
		algs   = "chacha20-poly1305@openssh.com umac-64-etm@openssh.com none sntrup761x25519-sha512 ssh-ed25519"
		key    = "a9:62:3d:dd:0b:48:95:91:1c:1b:50:82:fb:84:d1:ba"
	)
	for file, want := range map[string][]string{
		// Both ends are in 198.18.0.0/15, local: no direction.
		"real_ssh_key.pcap": {"2 T 1 - " + banner + " " + banner + " " + algs + " " + key},
		// The first USERAUTH_FAILURE answers the client's "none" method
		// and only sets the reference size, as in Zeek.
		"real_ssh_password_fail.pcap": {
			"2 F 3 - " + banner + " " + banner + " " + algs + " " + key,
			"2 F 1 - " + banner + " " + banner + " " + algs + " " + key,
		},
	} {
		conns := antest.FeedPcap(t, "../../../testdata/pcaps/"+file, newRecSink, func(c *analyzer.Conn, _ bool, _ []byte) analyzer.Session {
			return a.NewSession(c)
		})
		var got []string
		for _, c := range conns {
			for _, ev := range c.Sink.events {
				if ev.Kind == event.KindSSHHandshake {
					got = append(got, rec(ev.SSH))
				}
			}
			if len(c.Sink.violations) > 0 || c.Sink.confirms != 1 {
				t.Errorf("%s: violations %q confirms %d", file, c.Sink.violations, c.Sink.confirms)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", file, got, want)
		}
	}
}

func newRecSink() *recSink { return &recSink{} }
