package ssllog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
)

// Zeek's default ssl.log columns (base/protocols/ssl and base/files/x509).
const zeekFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert"

const zeekTypes = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool"

func records() []event.Event {
	id := event.ConnID{OrigH: netip.MustParseAddr("198.18.1.1"), OrigP: 41966,
		RespH: netip.MustParseAddr("198.18.1.2"), RespP: 443, Proto: event.TransportTCP}
	established := &event.TLS{UID: "CAbc", ID: id, TS: 1_700_000_000_123456_000,
		VersionNum: 0x0303, Version: "TLSv12", Cipher: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Curve: "x25519",
		ServerName: "api.weir.test", HasServerName: true, NextProtocol: "http/1.1", HasNextProtocol: true,
		Established: true, History: "CsxknGIi", CertChainFPs: []string{"aa", "bb"}, ClientCertChainFPs: []string{},
		Subject: `CN=www.weir.test,O=Weir\, Inc.`, Issuer: "CN=CA", HasSubject: true, SNIMatchesCert: event.True,
		JA3: "87b9bfc7da97115ed2276737b09f8d74", JA3S: "fe0146829eef1917ba6c2dd4f5c08905", JA4: "t12d2807h1_d943125447b4_a44c6288192a"}
	failed := &event.TLS{UID: "CDef", ID: id, TS: 1_700_000_001_000000_000, ServerName: "", HasServerName: true,
		LastAlert: "handshake_failure", History: "Cl"}
	return []event.Event{
		{Kind: event.KindTLSHandshake, Time: established.TS, TLS: established},
		{Kind: event.KindConnEnd, Time: established.TS},
		{Kind: event.KindTLSHandshake, Time: failed.TS, TLS: failed},
	}
}

func write(t *testing.T, cfg Config, opts logs.Options) []string {
	t.Helper()
	opts.Dir = t.TempDir()
	p := New(opts, cfg)
	if err := p.Handle(records()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1_700_000_002_000000_000); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(opts.Dir, "ssl.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func field(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix+"\t") {
			return strings.TrimPrefix(l, prefix+"\t")
		}
	}
	return ""
}

func TestZeekColumns(t *testing.T) {
	lines := write(t, Config{NoFingerprints: true}, logs.Options{})
	if got := field(lines, "#fields"); got != zeekFields {
		t.Errorf("#fields\n got %s\nwant %s", got, zeekFields)
	}
	if got := field(lines, "#types"); got != zeekTypes {
		t.Errorf("#types\n got %s\nwant %s", got, zeekTypes)
	}
	var rows []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "#") {
			rows = append(rows, l)
		}
	}
	want := []string{
		"1700000000.123456\tCAbc\t198.18.1.1\t41966\t198.18.1.2\t443\tTLSv12\tTLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\tx25519\tapi.weir.test\tF\t-\thttp/1.1\tT\tCsxknGIi\taa,bb\t(empty)\tT",
		"1700000001.000000\tCDef\t198.18.1.1\t41966\t198.18.1.2\t443\t-\t-\t-\t(empty)\tF\thandshake_failure\t-\tF\tCl\t-\t-\t-",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
}

func TestOptionalColumns(t *testing.T) {
	lines := write(t, Config{ServerSubjectIssuer: true, ClientSubjectIssuer: true}, logs.Options{})
	want := strings.Replace(zeekFields, "client_cert_chain_fps\t", "client_cert_chain_fps\tsubject\tissuer\tclient_subject\tclient_issuer\t", 1) + "\tja3\tja3s\tja4"
	if got := field(lines, "#fields"); got != want {
		t.Errorf("#fields\n got %s\nwant %s", got, want)
	}
	row := strings.Split(lines[8], "\t")
	if got := strings.Join(row[17:], "|"); got != `CN=www.weir.test,O=Weir\\, Inc.|CN=CA|-|-|T|87b9bfc7da97115ed2276737b09f8d74|fe0146829eef1917ba6c2dd4f5c08905|t12d2807h1_d943125447b4_a44c6288192a` {
		t.Errorf("optional values %s", got)
	}
}

func TestJSON(t *testing.T) {
	lines := write(t, Config{}, logs.Options{Format: logs.JSON})
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, want := range []string{`"cert_chain_fps":["aa","bb"]`, `"client_cert_chain_fps":[]`, `"sni_matches_cert":true`, `"ja4":"t12d2807h1_d943125447b4_a44c6288192a"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("missing %s in %s", want, lines[0])
		}
	}
	if strings.Contains(lines[1], `"version"`) || !strings.Contains(lines[1], `"server_name":""`) {
		t.Errorf("unset and empty values: %s", lines[1])
	}
}

func TestSampleConfig(t *testing.T) {
	var cfg Config
	md, err := toml.DecodeFile("sample.toml", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("unknown keys in sample.toml: %v", u)
	}
	if cfg != (Config{}) {
		t.Errorf("sample.toml %+v differs from the defaults", cfg)
	}
}
