package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeCert returns a self-signed DER certificate with the given subject.
func makeCert(t testing.TB, subject pkix.RDNSequence, dns []string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := asn1.Marshal(subject)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		RawSubject:   raw,
		NotBefore:    time.Unix(1e9, 0),
		NotAfter:     time.Unix(2e9, 0),
		DNSNames:     dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func atv(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

var (
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU     = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidDC     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidStreet = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidOdd    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
)

// A certificate for the handshake tests.
var testCertDER, testCertSubject = func() ([]byte, string) {
	der := makeCert(&testing.T{}, pkix.RDNSequence{
		{atv(oidC, "XX")}, {atv(oidO, "Weir Test")}, {atv(oidCN, "server.example.test")},
	}, []string{"server.example.test"})
	return der, "CN=server.example.test,O=Weir Test,C=XX"
}()

// Names with what OpenSSL escapes or dumps. Each is compared with
// `openssl x509 -subject -nameopt RFC2253`, the flags Zeek prints with.
var nameCases = []pkix.RDNSequence{
	{{atv(oidC, "US")}, {atv(oidO, "Example, Inc.")}, {atv(oidCN, "www.example.com")}},
	{{atv(oidDC, "com")}, {atv(oidDC, "example")}, {atv(oidOU, "A"), atv(oidOU, "B+C")}, {atv(oidCN, `quote" semi; lt< gt> back\`)}},
	{{atv(oidCN, " leading and trailing ")}, {atv(oidO, "#hash")}, {atv(oidOU, "in#side")}},
	{{atv(oidCN, "Zürich Ünïcödé 日本")}, {atv(oidEmail, "someone@example.com")}},
	{{atv(oidCN, "ctl\x01\x7fchars")}, {atv(oidStreet, "Untere Industriestr. 20")}},
	{{atv(oidOdd, "unknown attribute")}, {atv(oidCN, "#")}, {atv(oidO, " ")}},
	{{atv(oidCN, 12345)}}, // not a string: dumped (TestFormatNameExamples; openssl x509 refuses it)
}

func TestFormatNameMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: cannot compare with OpenSSL's output")
	}
	dir := t.TempDir()
	for i, name := range nameCases[:len(nameCases)-1] {
		der := makeCert(t, name, nil)
		e := parseCertificate(der, false)
		if !e.ok {
			t.Fatalf("case %d: certificate does not parse", i)
		}
		p := filepath.Join(dir, "c.pem")
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("openssl", "x509", "-in", p, "-noout", "-subject", "-nameopt", "RFC2253").Output()
		if err != nil {
			t.Fatalf("case %d: openssl: %v", i, err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(string(out), "subject="), "\n")
		if e.subject != want {
			t.Errorf("case %d:\n got %q\nwant %q", i, e.subject, want)
		}
	}
}

func TestFormatNameExamples(t *testing.T) {
	tests := []struct {
		name pkix.RDNSequence
		want string
	}{
		{nameCases[0], `CN=www.example.com,O=Example\, Inc.,C=US`},
		{nameCases[5], `O=\ ,CN=#,1.3.6.1.4.1.99999.1=#1311756E6B6E6F776E20617474726962757465`},
		{nameCases[6], `CN=#02023039`},
	}
	for _, tt := range tests {
		raw, _ := asn1.Marshal(tt.name)
		got, ok := formatName(raw)
		if !ok || got != tt.want {
			t.Errorf("got %q (%v), want %q", got, ok, tt.want)
		}
	}
	if _, ok := formatName([]byte{0x30, 0x03, 0x31, 0x01}); ok {
		t.Error("a broken name formatted")
	}
}

// Zeek's x509_check_hostname test table (testing/btest/bifs/x509_check_hostname).
func TestHostnameMatches(t *testing.T) {
	tests := []struct {
		host, name string
		want       bool
	}{
		{"hi", "www.zeek.org", false},
		{"ww.zeek.org", "www.zeek.org", false},
		{"www.zeek.org", "www.zeek.org", true},
		{"www.zeek.org", "*", false},
		{"www.zeek.org", "zeek.org", false},
		{"www.zeek.org", "*.zeek.org", true},
		{"www.zeek.org", "a*.zeek.org", false},
		{"www.zeek.org", "ww*.zeek.org", true},
		{"www.zeek.org", "wa*.zeek.org", false},
		{"www.zeek.org", "ww*.leek.com", false},
		{"www.zeek.org", "*.*.com", false},
		{"", "", true},
		{"www.zeek.org\x00testing", "*.zeek.org", false},
		{"zeek.org", "zeek.org", true},
		{"zeek.org", "*.org", false},
		{"a.b.zeek.org", "*.b.zeek.org", true},
		{"a.b.zeek.org", "*.zeek.org", false},
		{"a.b.zeek.org", "*.a.zeek.org", false},
		{"WWW.Zeek.ORG", "www.zeek.org", true},
	}
	for _, tt := range tests {
		if got := hostnameMatches(tt.host, tt.name); got != tt.want {
			t.Errorf("hostnameMatches(%q, %q) = %v", tt.host, tt.name, got)
		}
	}
}

func TestCertificateNames(t *testing.T) {
	der := makeCert(t, pkix.RDNSequence{{atv(oidCN, "first.test")}, {atv(oidCN, "last.test")}}, nil)
	e := parseCertificate(der, true)
	if !e.ok || !e.matchesHost("last.test") || e.matchesHost("first.test") {
		t.Errorf("without SANs the last CN counts: %+v", e)
	}
	der = makeCert(t, pkix.RDNSequence{{atv(oidCN, "cn.test")}}, []string{"*.san.test"})
	e = parseCertificate(der, true)
	if !e.ok || !e.matchesHost("a.san.test") || e.matchesHost("cn.test") {
		t.Errorf("with SANs the CN does not count: %+v", e)
	}
	// The tolerant parse accepts what crypto/x509 rejects (here a
	// certificate whose SAN holds a non-IA5 dNSName) and finds the same.
	sub, iss, san, ok := parseCertificateTolerant(der)
	if !ok || len(sub) == 0 || len(iss) == 0 || strings.Join(sanDNSNames(san), ",") != "*.san.test" {
		t.Errorf("tolerant parse: %v %x %x %x", ok, sub, iss, san)
	}
	if e := parseCertificate([]byte{0x30, 0x03, 1, 2, 3}, true); e.ok {
		t.Error("garbage parsed as a certificate")
	}
}
