package tls

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"testing"
)

// Published JA3 examples (the Salesforce ja3 README): the JA3 strings of
// two client hellos and their MD5s.
func TestJA3PublishedVectors(t *testing.T) {
	tests := []struct {
		ch   clientHello
		str  string
		hash string
	}{
		{
			ch: clientHello{version: 769,
				ciphers: []uint16{47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
				exts:    []uint16{0, 10, 11}, groups: []uint16{23, 24, 25}, points: []uint8{0}},
			str:  "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
			hash: "ada70206e40642a3e4461f35503241d5",
		},
		{
			ch:   clientHello{version: 769, ciphers: []uint16{4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99}},
			str:  "769,4-5-10-9-100-98-3-6-19-18-99,,,",
			hash: "de350869b8c85de67a350c8d186f11e6",
		},
	}
	for _, tt := range tests {
		if got := string(ja3String(nil, &tt.ch)); got != tt.str {
			t.Errorf("ja3 string %q, want %q", got, tt.str)
		}
		if got := ja3(&tt.ch); got != tt.hash {
			t.Errorf("ja3 %s, want %s", got, tt.hash)
		}
	}
}

func TestJA3RemovesGREASE(t *testing.T) {
	ch := clientHello{version: 771,
		ciphers: []uint16{0x0a0a, 4865, 0xfafa, 4866},
		exts:    []uint16{0x2a2a, 0, 43, 0x9a9a},
		groups:  []uint16{0x4a4a, 29, 23},
		points:  []uint8{0}}
	if got, want := string(ja3String(nil, &ch)), "771,4865-4866,0-43,29-23,0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestJA3S(t *testing.T) {
	// The Salesforce README's JA3S example.
	sh := serverHello{version: 769, cipher: 47, exts: []uint16{65281, 0, 11, 35, 5, 16}}
	if got, want := string(ja3sString(nil, &sh)), "769,47,65281-0-11-35-5-16"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	sum := md5.Sum([]byte("769,47,65281-0-11-35-5-16"))
	if got, want := ja3s(&sh), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ja3s %s, want %s", got, want)
	}
}

// FoxIO's published JA4 example (technical details): a Chrome-like hello
// whose JA4_r is
//
//	t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601
//
// and JA4 t13d1516h2_8daaf6152771_e5627efa2ab1. The hello below lists the
// same values in wire order, with GREASE added, which JA4 ignores.
func TestJA4PublishedVector(t *testing.T) {
	ch := clientHello{
		version: 0x0303,
		ciphers: []uint16{0x1a1a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
			0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		exts: []uint16{0xaaaa, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005,
			0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x0015, 0x4469, 0xbaba},
		sigAlgs:  []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		versions: []uint16{0x6a6a, 0x0304, 0x0303},
		alpn:     []byte("h2"), hasALPN: true, hasSNI: true,
	}
	if got, want := ja4(&ch, 't'), "t13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("ja4 %s, want %s", got, want)
	}
}

func TestJA4Parts(t *testing.T) {
	base := func() clientHello {
		return clientHello{version: 0x0303, ciphers: []uint16{0x1301}, exts: []uint16{0x000a}}
	}
	tests := []struct {
		name string
		mod  func(*clientHello)
		a    string // the first part
	}{
		{"no sni no alpn", func(*clientHello) {}, "t12i010100"},
		{"sni", func(c *clientHello) { c.hasSNI = true; c.exts = append(c.exts, 0) }, "t12d010200"},
		{"alpn http/1.1", func(c *clientHello) { c.alpn, c.hasALPN = []byte("http/1.1"), true }, "t12i0101h1"},
		{"alpn non-alphanumeric", func(c *clientHello) { c.alpn, c.hasALPN = []byte{0xab, 'x', 0xcd}, true }, "t12i0101ad"},
		{"alpn one char", func(c *clientHello) { c.alpn, c.hasALPN = []byte("q"), true }, "t12i0101qq"},
		{"tls13 via supported_versions", func(c *clientHello) { c.versions = []uint16{0x0303, 0x0304} }, "t13i010100"},
		{"sslv3", func(c *clientHello) { c.version = 0x0300 }, "ts3i010100"},
		{"unknown version", func(c *clientHello) { c.version = 0x0999 }, "t00i010100"},
		{"dtls 1.2", func(c *clientHello) { c.version = versionDTLSv12 }, "td2i010100"},
		{"dtls 1.3", func(c *clientHello) { c.version, c.versions = versionDTLSv12, []uint16{versionDTLSv12, versionDTLSv13} }, "td3i010100"},
		{"counts capped", func(c *clientHello) {
			for i := 0; i < 120; i++ {
				c.ciphers = append(c.ciphers, uint16(0x100+i))
				c.exts = append(c.exts, uint16(0x100+i))
			}
		}, "t12i9999" + "00"},
	}
	for _, tt := range tests {
		ch := base()
		tt.mod(&ch)
		got := ja4(&ch, 't')
		if got[:10] != tt.a {
			t.Errorf("%s: %s, want prefix %s", tt.name, got, tt.a)
		}
	}
	empty := clientHello{version: 0x0303}
	if got, want := ja4(&empty, 'd'), "d12i000000_000000000000_000000000000"; got != want {
		t.Errorf("empty hello: %s, want %s", got, want)
	}
}

var ja4Pattern = regexp.MustCompile(`^[tqd](13|12|11|10|s3|s2|d1|d2|d3|00)[di]\d\d\d\d[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)
