package tls

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
)

// The real_tls_*.pcap captures are made by testdata/capture_tls.sh; see
// there for what each session does.
func realCapture(name string) string {
	return filepath.Join("..", "..", "..", "testdata", "pcaps", name)
}

// summary is the part of a record these tests check, in a stable form.
func summary(r *event.TLS) string {
	return fmt.Sprintf("%d %s %s %s sni=%s resumed=%v alert=%s alpn=%s est=%v %s fps=%s/%s match=%s",
		r.ID.RespP, zeekValue(r, "version"), zeekValue(r, "cipher"), zeekValue(r, "curve"),
		zeekValue(r, "server_name"), r.Resumed, zeekValue(r, "last_alert"), zeekValue(r, "next_protocol"),
		r.Established, r.History, count(r.CertChainFPs), count(r.ClientCertChainFPs), zeekValue(r, "sni_matches_cert"))
}

func count(v []string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(len(v))
}

func TestRealCaptures(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"real_tls_13.pcap", []string{
			"443 TLSv13 TLS_AES_256_GCM_SHA384 x25519 sni=www.weir.test resumed=false alert=- alpn=- est=true CsiI fps=-/- match=-",
			// HelloRetryRequest: as in Zeek, the client's compatibility
			// change cipher spec makes its second ClientHello (and the
			// server's real ServerHello) look encrypted, so curve and
			// cipher come from the retry request.
			"4443 TLSv13 TLS_AES_256_GCM_SHA384 secp256r1 sni=www.weir.test resumed=false alert=- alpn=- est=true CjiI fps=-/- match=-",
			"443 TLSv13 TLS_AES_256_GCM_SHA384 x25519 sni=api.weir.test resumed=false alert=- alpn=- est=true CsiI fps=-/- match=-",
			"443 TLSv13 TLS_AES_256_GCM_SHA384 x25519 sni=api.weir.test resumed=true alert=- alpn=- est=true CsiI fps=-/- match=-",
		}},
		{"real_tls_12.pcap", []string{
			"443 TLSv12 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 x25519 sni=api.weir.test resumed=false alert=- alpn=http/1.1 est=true CsxknGIi fps=2/0 match=T",
			"443 TLSv12 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 x25519 sni=x.wild.weir.test resumed=false alert=- alpn=http/1.1 est=true CsxknGIi fps=2/0 match=T",
			"443 TLSv12 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 x25519 sni=nomatch.weir.test resumed=false alert=- alpn=http/1.1 est=true CsxknGIi fps=2/0 match=F",
			"8443 TLSv12 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 x25519 sni=rsa.weir.test resumed=false alert=- alpn=- est=true CsxkrnXGYIi fps=2/2 match=T",
			"8443 TLSv12 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 - sni=rsa.weir.test resumed=true alert=- alpn=- est=true CsiI fps=-/- match=-",
			"8443 - - - sni=rsa.weir.test resumed=false alert=handshake_failure alpn=- est=false Cl fps=-/- match=-",
			"8444 TLSv12 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 x25519 sni=rsa.weir.test resumed=false alert=- alpn=- est=true CsxknGIti fps=1/0 match=T",
			"8444 TLSv12 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 - sni=rsa.weir.test resumed=true alert=- alpn=- est=true CsiI fps=-/- match=-",
		}},
		{"real_tls_dtls.pcap", []string{
			"4433 DTLSv12 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 x25519 sni=www.weir.test resumed=false alert=- alpn=- est=true CvCsxknGIti fps=1/0 match=T",
		}},
	}
	for _, tt := range tests {
		c := runCapture(t, realCapture(tt.file), nil)
		var got []string
		for _, r := range c.records() {
			got = append(got, summary(r))
			if !ja4Pattern.MatchString(r.JA4) {
				t.Errorf("%s: JA4 %q is malformed", tt.file, r.JA4)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", tt.file, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		if w := c.weirds(); len(w) != 0 {
			t.Errorf("%s: weirds %v", tt.file, w)
		}
	}
	// Names as Zeek prints them (RFC 2253 order and escaping).
	r := runCapture(t, realCapture("real_tls_12.pcap"), nil).records()
	if got, want := r[0].Subject, `CN=www.weir.test,OU=Engineering+OU=Capture,O=Weir\, Inc.,ST=Test State,C=XX`; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if got, want := r[3].ClientSubject, "emailAddress=client@weir.test,CN=client.weir.test,O=Weir Test,C=XX"; got != want {
		t.Errorf("client subject %q, want %q", got, want)
	}
}

// TestFingerprintsMatchTshark compares JA3 and JA3S (and JA4 where this
// tshark has it) with Wireshark's on the real captures: the first client
// hello and the first server hello of each connection.
func TestFingerprintsMatchTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark): JA3/JA4 not cross-checked with Wireshark")
	}
	fields, _ := exec.Command("tshark", "-G", "fields").Output()
	hasJA4 := bytes.Contains(fields, []byte("\ttls.handshake.ja4\t"))
	if !hasJA4 {
		t.Log("this tshark has no JA4 (Wireshark 4.2 added it): JA4 is checked against FoxIO's published vector only")
	}
	checked := 0
	for _, f := range []string{"real_tls_13.pcap", "real_tls_12.pcap", "real_tls_dtls.pcap"} {
		proto := "tls"
		if strings.Contains(f, "dtls") {
			proto = "dtls"
		}
		args := []string{"-r", realCapture(f), "-d", "tcp.port==8443,tls", "-d", "tcp.port==8444,tls",
			"-d", "tcp.port==4443,tls", "-d", "udp.port==4433,dtls", "-T", "fields", "-E", "separator=/t",
			"-e", "tcp.srcport", "-e", "udp.srcport", "-e", "tcp.dstport", "-e", "udp.dstport",
			"-e", proto + ".handshake.type", "-e", proto + ".handshake.ja3", "-e", proto + ".handshake.ja3s"}
		if hasJA4 {
			args = append(args, "-e", proto+".handshake.ja4")
		}
		out, err := exec.Command("tshark", args...).Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		ja3, ja3s, ja4 := map[string]string{}, map[string]string{}, map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			col := strings.Split(sc.Text(), "\t")
			for len(col) < 8 {
				col = append(col, "")
			}
			src, dst := col[0]+col[1], col[2]+col[3]
			types := strings.Split(col[4], ",")
			switch {
			case contains(types, "1") && col[5] != "":
				if _, ok := ja3[src]; !ok {
					ja3[src] = col[5]
					if hasJA4 {
						ja4[src] = strings.Split(col[7], ",")[0]
					}
				}
			case contains(types, "2") && col[6] != "":
				if _, ok := ja3s[dst]; !ok {
					ja3s[dst] = col[6]
				}
			}
		}
		for _, r := range runCapture(t, realCapture(f), nil).records() {
			port := fmt.Sprint(r.ID.OrigP)
			if r.JA3 != ja3[port] {
				t.Errorf("%s %s: JA3 %s, tshark %s", f, port, r.JA3, ja3[port])
			}
			if want, ok := ja3s[port]; ok && r.JA3S != want {
				t.Errorf("%s %s: JA3S %s, tshark %s", f, port, r.JA3S, want)
			}
			if hasJA4 && r.JA4 != ja4[port] {
				t.Errorf("%s %s: JA4 %s, tshark %s", f, port, r.JA4, ja4[port])
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d connections checked", checked)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
