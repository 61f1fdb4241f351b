package sshlog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
)

func TestTSV(t *testing.T) {
	id := event.ConnID{
		OrigH: netip.MustParseAddr("198.18.0.1"), OrigP: 40000,
		RespH: netip.MustParseAddr("203.0.113.9"), RespP: 22, Proto: event.TransportTCP,
	}
	full := &event.SSH{TS: 1700000000500000000, UID: "Cssh", ID: id, Version: 2, HasVersion: true,
		AuthSuccess: event.True, AuthAttempts: 2, Direction: "OUTBOUND",
		Client: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", Server: "SSH-2.0-OpenSSH_9.2p1",
		CipherAlg: "chacha20-poly1305@openssh.com", MACAlg: "umac-64-etm@openssh.com", CompressionAlg: "none",
		KexAlg: "sntrup761x25519-sha512@openssh.com", HostKeyAlg: "ssh-ed25519",
		HostKey: "e6:60:62:d6:e2:bd:a6:59:9b:a9:72:85:56:c5:10:33"}
	bare := &event.SSH{TS: 1700000001000000000, UID: "Cssh2", ID: id, AuthSuccess: event.False}
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir})
	if err := p.Handle([]event.Event{
		{Kind: event.KindSSHHandshake, Time: full.TS, SSH: full},
		{Kind: event.KindSSHHandshake, Time: bare.TS, SSH: bare},
	}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1700000002000000000); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ssh.log"))
	if err != nil {
		t.Fatal(err)
	}
	var fields string
	var recs []string
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "#fields"):
			fields = l
		case l != "" && !strings.HasPrefix(l, "#"):
			recs = append(recs, l)
		}
	}
	if want := "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts\tdirection\tclient\tserver\tcipher_alg\tmac_alg\tcompression_alg\tkex_alg\thost_key_alg\thost_key"; fields != want {
		t.Errorf("fields\n got %q\nwant %q", fields, want)
	}
	want := []string{
		"1700000000.500000\tCssh\t198.18.0.1\t40000\t203.0.113.9\t22\t2\tT\t2\tOUTBOUND\tSSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\tSSH-2.0-OpenSSH_9.2p1\tchacha20-poly1305@openssh.com\tumac-64-etm@openssh.com\tnone\tsntrup761x25519-sha512@openssh.com\tssh-ed25519\te6:60:62:d6:e2:bd:a6:59:9b:a9:72:85:56:c5:10:33",
		"1700000001.000000\tCssh2\t198.18.0.1\t40000\t203.0.113.9\t22\t-\tF\t0\t-\t-\t-\t-\t-\t-\t-\t-\t-",
	}
	if strings.Join(recs, "\n") != strings.Join(want, "\n") {
		t.Errorf("records\n got %q\nwant %q", recs, want)
	}
}
