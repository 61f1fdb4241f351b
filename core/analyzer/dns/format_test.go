package dns

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
)

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// charStr is a <character-string>.
func charStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// TestAnswerFormats checks the dns.log text of each record type, as Zeek's
// base scripts write it, and the weirds parsing it raises.
func TestAnswerFormats(t *testing.T) {
	ip6 := func(s string) []byte { return parseAddr16(t, s) }
	tests := []struct {
		name   string
		typ    uint16
		rdata  []byte
		want   []string // nil: no answer text (answers unset)
		weirds []string
	}{
		{"A", typeA, []byte{192, 0, 2, 1}, []string{"192.0.2.1"}, nil},
		{"A bad length", typeA, []byte{192, 0, 2}, nil, []string{"DNS_RR_bad_length"}},
		{"AAAA", typeAAAA, ip6("2001:db8::1"), []string{"2001:db8::1"}, nil},
		{"AAAA v4-mapped", typeAAAA, ip6("::ffff:192.0.2.7"), []string{"192.0.2.7"}, nil},
		{"AAAA v4-compatible", typeAAAA, ip6("::192.0.2.7"), []string{"::192.0.2.7"}, nil},
		{"AAAA unspecified", typeAAAA, ip6("::"), []string{"::"}, nil},
		{"AAAA no compression of one zero word", typeAAAA, ip6("2001:db8:0:1:1:1:1:1"), []string{"2001:db8:0:1:1:1:1:1"}, nil},
		{"AAAA first longest run", typeAAAA, ip6("2001:0:0:1:0:0:0:1"), []string{"2001:0:0:1::1"}, nil},
		{"CNAME", typeCNAME, wire("Target.Example.NET"), []string{"target.example.net"}, nil},
		{"CNAME compressed into the question", typeCNAME, cat([]byte{3, 'c', 'd', 'n'}, ptr(12)), []string{"cdn.example.com"}, nil},
		{"CNAME to the root", typeCNAME, wire(""), nil, nil},
		{"NS", typeNS, wire("ns1.example.com"), []string{"ns1.example.com"}, nil},
		{"PTR", typePTR, wire("host.example.com"), []string{"host.example.com"}, nil},
		{"PTR length mismatch", typePTR, append(wire("host.example.com"), 0), []string{"host.example.com"}, []string{"DNS_RR_length_mismatch"}},
		{"MX", typeMX, cat(u16(10), wire("mx.example.com")), []string{"mx.example.com"}, nil},
		{"TXT one string", typeTXT, charStr("hello"), []string{"TXT 5 hello"}, nil},
		{"TXT several strings", typeTXT, cat(charStr("hello"), charStr("world")), []string{"TXT 5 hello TXT 5 world"}, nil},
		{"TXT empty string", typeTXT, charStr(""), []string{"TXT 0 "}, nil},
		{"TXT past rdlength", typeTXT, []byte{5, 'a', 'b'}, nil, []string{"DNS_TXT_char_str_past_rdlen"}},
		{"SPF", typeSPF, cat(charStr("v=spf1 -all")), []string{"SPF 11 v=spf1 -all"}, nil},
		{"SOA", typeSOA, cat(wire("ns.example.com"), wire("hostmaster.example.com"), make([]byte, 20)), []string{"ns.example.com"}, nil},
		{"SOA short", typeSOA, cat(wire("ns.example.com"), wire("h.example.com"), make([]byte, 19)), nil, nil},
		{"SRV", typeSRV, cat(u16(0), u16(5), u16(5060), wire("sip.example.com")), []string{"sip.example.com"}, nil},
		{"DNSKEY", typeDNSKEY, cat(u16(257), []byte{3, 8}, []byte{1, 2, 3}), []string{"DNSKEY 8"}, nil},
		{"DNSKEY bad protocol and flags", typeDNSKEY, cat(u16(0x0002), []byte{2, 1}, []byte{1}), []string{"DNSKEY 1"},
			[]string{"DNSSEC_DNSKEY_Invalid_Flag 2", "DNSSEC_DNSKEY_Invalid_Protocol 2", "DNSSEC_DNSKEY_NotRecommended_ZoneSignAlgo 1"}},
		{"DS", typeDS, cat(u16(12345), []byte{8, 2}, make([]byte, 32)), []string{"DS 8 2"}, nil},
		{"DS unknown digest", typeDS, cat(u16(1), []byte{13, 9}, []byte{0}), []string{"DS 13 9"}, []string{"DNSSEC_DS_unknown_DigestType 9"}},
		{"RRSIG", typeRRSIG, cat(u16(1), []byte{8, 2}, make([]byte, 14), wire("Example.com"), []byte{9, 9, 9}), []string{"RRSIG 1 example.com"}, nil},
		{"RRSIG root signer", typeRRSIG, cat(u16(48), []byte{13, 0}, make([]byte, 14), wire(""), []byte{9}), []string{"RRSIG 48 <Root>"}, nil},
		{"RRSIG unknown algorithm", typeRRSIG, cat(u16(1), []byte{99, 2}, make([]byte, 14), wire("a")), []string{"RRSIG 1 a"},
			[]string{"DNSSEC_RRSIG_unknown_ZoneSignAlgo 99"}},
		{"NSEC", typeNSEC, cat(wire("b.example.com"), []byte{0, 1, 0x40}), []string{"NSEC example.com b.example.com"}, nil},
		{"NSEC empty bitmap", typeNSEC, cat(wire("b.example.com"), []byte{0, 0}), []string{"NSEC example.com b.example.com"},
			[]string{"DNSSEC_NSEC_bitmapLen0 0"}},
		{"NSEC3", typeNSEC3, cat([]byte{1, 0}, u16(10), charStr("salt"), charStr("hashhashhashhashhash"), []byte{0, 1, 0x40}), []string{"NSEC3"}, nil},
		{"NSEC3PARAM", typeNSEC3PARAM, cat([]byte{1, 0}, u16(0), charStr("")), []string{"NSEC3PARAM"}, nil},
		{"SSHFP", typeSSHFP, cat([]byte{1, 1}, []byte{0xa6, 0xb9, 0x5f, 0x00}), []string{"SSHFP: a6b95f00"}, nil},
		{"LOC", typeLOC, cat([]byte{0, 0x12, 0x15, 0x13}, make([]byte, 12)), []string{"LOC:  18 21 19"}, nil},
		{"LOC version", typeLOC, cat([]byte{1, 0x12, 0x15, 0x13}, make([]byte, 12)), []string{"LOC:  18 21 19"}, []string{"DNS_LOC_version_unrecognized 1"}},
		{"BINDS", typeBINDS, []byte{8, 1, 2, 0, 1}, []string{"BIND9 signing signal"}, nil},
		{"NAPTR regexp", typeNAPTR, cat(u16(100), u16(10), charStr("u"), charStr("E2U+sip"), charStr("!^.*$!sip:info@example.com!"), wire("")),
			[]string{"NAPTR 100 10 u E2U+sip !^.*$!sip:info@example.com!"}, nil},
		{"NAPTR replacement", typeNAPTR, cat(u16(20), u16(0), charStr("s"), charStr("SIP+D2U"), charStr(""), wire("_sip._udp.example.com")),
			[]string{"NAPTR 20 0 s SIP+D2U _sip._udp.example.com"}, nil},
		{"unknown type", 52, []byte{3, 1, 1, 0xab}, []string{"<unknown type=52>"}, []string{"DNS_RR_unknown_type 52"}},
		{"TKEY is parsed, not logged", typeTKEY, []byte{1, 2, 3}, nil, nil},
		{"HINFO is not logged", typeHINFO, cat(charStr("cpu"), charStr("os")), nil, nil},
		{"CAA is not logged", typeCAA, cat([]byte{0}, charStr("issue"), []byte("ca.example")), nil, nil},
		{"SVCB is not logged", typeSVCB, cat(u16(1), wire("svc.example.com"), []byte{0, 1, 0, 3, 2, 'h', '2'}), nil, nil},
		{"HTTPS alias is not logged", typeHTTPS, cat(u16(0), wire("")), nil, nil},
		{"WKS counts but is not logged", typeWKS, []byte{192, 0, 2, 1, 6, 0x40}, nil, nil},
		{"OPT in answers", typeOPT, cat(u16(10), u16(8), make([]byte, 8)), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, k := testSession(t, nil, udpID(53))
			dg(s, k, 1, true, newMsg(7, fRD).q("example.com", tc.typ, 1).bytes())
			reply := newMsg(7, fQR|fRD|fRA).q("example.com", tc.typ, 1).an("example.com", tc.typ, 300, tc.rdata).bytes()
			dg(s, k, 1.5, false, reply)
			end(s, k, 2)
			recs := k.records()
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1: %v", len(recs), k.events)
			}
			d := recs[0]
			if !slices.Equal(d.Answers, tc.want) {
				t.Errorf("answers = %q, want %q", d.Answers, tc.want)
			}
			if len(d.TTLs) != len(d.Answers) {
				t.Errorf("%d TTLs for %d answers", len(d.TTLs), len(d.Answers))
			}
			for _, ttl := range d.TTLs {
				if ttl != 300*second {
					t.Errorf("TTL = %d, want 300 s", ttl)
				}
			}
			if !slices.Equal(k.weirds, tc.weirds) {
				t.Errorf("weirds = %q, want %q", k.weirds, tc.weirds)
			}
		})
	}
}

// TestAnswerWithoutText checks that a record Zeek logs with an empty text
// still sets rtt, AA, RA and the query, while a record Zeek does not hand
// to its scripts sets none of them.
func TestAnswerWithoutText(t *testing.T) {
	for _, tc := range []struct {
		typ     uint16
		rdata   []byte
		counted bool
	}{
		{typeWKS, []byte{192, 0, 2, 1, 6, 0x40}, true},
		{typeTXT, nil, true}, // no strings at all: empty text
		{typeHINFO, cat(charStr("cpu"), charStr("os")), false},
	} {
		s, k := testSession(t, nil, udpID(53))
		dg(s, k, 1, false, newMsg(9, fQR|fAA|fRA).an("host.example.com", tc.typ, 60, tc.rdata).bytes())
		dg(s, k, 2, true, newMsg(9, fRD).q("host.example.com", tc.typ, 1).bytes())
		end(s, k, 3)
		recs := k.records()
		if len(recs) != 1 {
			t.Fatalf("type %d: %d records", tc.typ, len(recs))
		}
		d := recs[0]
		if d.Answers != nil {
			t.Errorf("type %d: answers %q, want unset", tc.typ, d.Answers)
		}
		if d.AA != tc.counted || d.RA != tc.counted {
			t.Errorf("type %d: AA %v RA %v, want %v", tc.typ, d.AA, d.RA, tc.counted)
		}
	}
}

// TestTTLs checks that TTLs follow answers in order, in nanoseconds.
func TestTTLs(t *testing.T) {
	s, k := testSession(t, nil, udpID(53))
	dg(s, k, 1, true, newMsg(1, fRD).q("www.example.com", typeA, 1).bytes())
	m := newMsg(1, fQR|fRD|fRA).q("www.example.com", typeA, 1).
		rr(1, ptr(12), typeCNAME, 1, 124, wire("cdn.example.net")).
		an("cdn.example.net", typeA, 2156, []byte{198, 51, 100, 1}).
		an("cdn.example.net", typeA, 0, []byte{198, 51, 100, 2})
	dg(s, k, 1.25, false, m.bytes())
	recs := k.records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	d := recs[0]
	wantA := []string{"cdn.example.net", "198.51.100.1", "198.51.100.2"}
	wantT := []int64{124 * second, 2156 * second, 0}
	if !slices.Equal(d.Answers, wantA) || !slices.Equal(d.TTLs, wantT) {
		t.Errorf("answers %q TTLs %v, want %q %v", d.Answers, d.TTLs, wantA, wantT)
	}
	if !d.HasRTT || d.RTT != second/4 {
		t.Errorf("rtt = %d (%v), want 0.25 s", d.RTT, d.HasRTT)
	}
}

// TestAppendAddr16 checks addresses against glibc's inet_ntop (which Zeek
// uses), except IPv4-mapped ones, which Zeek prints as IPv4.
func TestAppendAddr16(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2001:db8::1", "2001:db8::1"},
		{"::1", "::1"},
		{"::", "::"},
		{"1::", "1::"},
		{"fe80::1:2", "fe80::1:2"},
		{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"::1.2.3.4", "::1.2.3.4"},
		{"0:0:1::", "0:0:1::"},
		{"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
		{"::0.0.0.1", "::1"},
		{"::1:0:0:0", "::1:0:0:0"},
		{"::ffff:1.2.3.4", "1.2.3.4"},
		{"::ffff:0:1", "0.0.0.1"},
	} {
		got := string(appendAddr16(nil, [16]byte(parseAddr16(t, tc.in))))
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func parseAddr16(t *testing.T, s string) []byte {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	b := a.As16()
	return b[:]
}

func TestDecodeNetbiosName(t *testing.T) {
	var buf [16]byte
	for _, tc := range []struct{ in, want string }{
		{"FEEIEFCAEOEFFEECEJEPFDCAEOEBENEF", "THE NETBIOS NAM"},
		{"fhepfcelehfcepfffacacacacacacabl", "WORKGROUP"},
		{"enebfcfeejeocacacacacacacacacaad", "MARTIN"},
		{"abacfpfpenfdecfcepfhfdeffpfpacab", "\x01\x02__MSBROWSE__\x02"},
		{"dkdleafofphlhnhoaaaaaaaaaaaaaaaa", ":;@^_{}~"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""},
		{"cacacacacacacacacacacacacacacaca", ""},
		{"short", ""},
		{"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", ""},
	} {
		if got := string(decodeNetbiosName([]byte(tc.in), &buf)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
