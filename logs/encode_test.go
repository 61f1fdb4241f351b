package logs

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendSeconds(t *testing.T) {
	for _, tc := range []struct {
		ns         int64
		tsv, exact string
	}{
		{0, "0.000000", "0.0"},
		{1300475167096535000, "1300475167.096535", "1300475167.096535"},
		{1300475167000000000, "1300475167.000000", "1300475167.0"},
		{1300475167100000000, "1300475167.100000", "1300475167.1"},
		{1500, "0.000002", "0.0000015"},
		{1499, "0.000001", "0.000001499"},
		{999999500, "1.000000", "0.9999995"},
		{-2500000000, "-2.500000", "-2.5"},
		{-400, "0.000000", "-0.0000004"},
		{math.MaxInt64, "9223372036.854776", "9223372036.854775807"},
		{math.MinInt64, "-9223372036.854776", "-9223372036.854775808"},
	} {
		if got := string(appendSeconds(nil, tc.ns)); got != tc.tsv {
			t.Errorf("appendSeconds(%d) = %q, want %q", tc.ns, got, tc.tsv)
		}
		if got := string(appendExactSeconds(nil, tc.ns)); got != tc.exact {
			t.Errorf("appendExactSeconds(%d) = %q, want %q", tc.ns, got, tc.exact)
		}
	}
}

// For microsecond timestamps the exact decimal is what Zeek's JSON writer
// prints for the double: the shortest representation of that double.
func TestExactSecondsMatchesShortestDouble(t *testing.T) {
	for _, us := range []int64{1300475167096535, 1300475167000001, 1700000000999999, 1, 123456, 4102444800123457} {
		ns := us * 1000
		d := float64(us/1e6) + float64(us%1e6)/1e6 // how Zeek turns a pcap timeval into a double
		want := string(appendJSONDouble(nil, d))
		if got := string(appendExactSeconds(nil, ns)); got != want {
			t.Errorf("%d µs: exact %q, Zeek's double %q", us, got, want)
		}
	}
}

func TestAppendISOTime(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{
		{1300475168306400000, "2011-03-18T19:06:08.306400Z"},
		{0, "1970-01-01T00:00:00.000000Z"},
		{1300475168999999600, "2011-03-18T19:06:09.000000Z"}, // rounds into the next second
		{-1, "1970-01-01T00:00:00.000000Z"},
		{-1500000000, "1969-12-31T23:59:58.500000Z"},
	} {
		if got := string(appendISOTime(nil, tc.ns)); got != tc.want {
			t.Errorf("appendISOTime(%d) = %q, want %q", tc.ns, got, tc.want)
		}
	}
}

func TestAppendTSVDouble(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{1, "1.0"},
		{-3, "-3.0"},
		{0.5, "0.5"},
		{1234.5678901, "1234.56789"},
		{0.1234565, "0.123456"}, // 0.12345649999... in binary
		{0.0000004, "0"},        // Zeek's quirk: rounds to 0, not within 1e-9 of 0
		{2.0000000001, "2.0"},
		{1.9999999999, "2.0"},
		{1e20, "100000000000000000000.0"},
		{1.5e-7, "0"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		if got := string(appendTSVDouble(nil, tc.f)); got != tc.want {
			t.Errorf("appendTSVDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// The layouts rapidjson's Prettify produces, as Zeek's JSON writer shows
// them.
func TestAppendJSONDouble(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{0.1, "0.1"},
		{1300475167.096535, "1300475167.096535"},
		{2.6837959289550781, "2.683795928955078"},
		{123456789012345680000, "123456789012345680000.0"},
		{1e21, "1e21"},
		{1.5e21, "1.5e21"},
		{0.000001, "0.000001"},
		{1.5e-6, "0.0000015"},
		{1e-7, "1e-7"},
		{1.25e-7, "1.25e-7"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e308"},
		{math.NaN(), "null"},
		{math.Inf(-1), "null"},
	} {
		got := string(appendJSONDouble(nil, tc.f))
		if got != tc.want {
			t.Errorf("appendJSONDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
		if got != "null" {
			if back, err := strconv.ParseFloat(got, 64); err != nil || back != tc.f {
				t.Errorf("appendJSONDouble(%v) = %q reads back as %v, %v", tc.f, got, back, err)
			}
		}
	}
}

func TestAppendAddr(t *testing.T) {
	for in, want := range map[string]string{
		"141.142.220.118":         "141.142.220.118",
		"::ffff:141.142.220.118":  "141.142.220.118", // IPv4 stored mapped, as decode does
		"2001:db8:0:0:0:0:0:1":    "2001:db8::1",
		"2001:db8:0:1:0:0:0:1":    "2001:db8:0:1::1",
		"2001:0:0:1:0:0:0:1":      "2001:0:0:1::1", // the longest run of zeros
		"fe80::1%eth0":            "fe80::1",
		"::":                      "::",
		"::1":                     "::1",
		"::2":                     "::2",
		"::1.2.3.4":               "::1.2.3.4", // glibc's inet_ntop for IPv4-compatible
		"::0.0.1.2":               "::102",
		"ff02::fb":                "ff02::fb",
		"2001:DB8::ABCD:0:0:1234": "2001:db8::abcd:0:0:1234",
		"1:2:3:4:5:6:7:8":         "1:2:3:4:5:6:7:8",
		"0:0:1:0:0:0:0:0":         "0:0:1::",
		"::ffff:0:0":              "0.0.0.0",
	} {
		if got := string(appendAddr(nil, netip.MustParseAddr(in))); got != want {
			t.Errorf("appendAddr(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendTSVString(t *testing.T) {
	for _, tc := range []struct {
		in, want, inSet string
	}{
		{"", "(empty)", "(empty)"},
		{"-", `\x2d`, `\x2d`},
		{"(empty)", `\x28empty)`, `\x28empty)`},
		{"--", "--", "--"},
		{"-(empty)", "-(empty)", "-(empty)"},
		{"a,b", "a,b", `a\x2cb`},
		{"tab\there", `tab\x09here`, `tab\x09here`},
		{`back\slash`, `back\\slash`, `back\\slash`},
		{"caf\u00e9 \u65e5\u672c \U0001F600", "caf\u00e9 \u65e5\u672c \U0001F600", "caf\u00e9 \u65e5\u672c \U0001F600"},
		// One bad byte escapes every non-ASCII byte of its stretch...
		{"\u00e9\xff", `\xc3\xa9\xff`, `\xc3\xa9\xff`},
		// ...but not those of other stretches, split at '\' and the
		// separators as Zeek's ODesc does.
		{"\u00e9\\\xff", "\u00e9" + `\\\xff`, "\u00e9" + `\\\xff`},
		{"\u00e9,\xff", `\xc3\xa9,\xff`, "\u00e9" + `\x2c\xff`},
		{"nl\n", `nl\x0a`, `nl\x0a`},
		{"\x00\x1f\x7f", `\x00\x1f\x7f`, `\x00\x1f\x7f`},
		{"\u0085", `\xc2\x85`, `\xc2\x85`},               // C1 control
		{"\ue000", `\xee\x80\x80`, `\xee\x80\x80`},       // private use
		{"\ufffd", `\xef\xbf\xbd`, `\xef\xbf\xbd`},       // specials
		{"\xed\xa0\x80", `\xed\xa0\x80`, `\xed\xa0\x80`}, // surrogate
		{"\xc0\xaf", `\xc0\xaf`, `\xc0\xaf`},             // overlong
		{"#x", "#x", "#x"},
	} {
		if got := string(appendTSVString(nil, tc.in, false)); got != tc.want {
			t.Errorf("appendTSVString(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(appendTSVString(nil, tc.in, true)); got != tc.inSet {
			t.Errorf("appendTSVString(%q) in a set = %q, want %q", tc.in, got, tc.inSet)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`"q" \`, `"\"q\" \\"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"caf\u00e9 \U0001F600", "\"caf\u00e9 \U0001F600\""},
		{"a\x01", `"a\\x01"`},
		{"\xff\u00e9\n\"", `"\\xff\\xc3\\xa9\n\""`},
		{"\x7f", `"\\x7f"`},
		{"\ue000", `"\\xee\\x80\\x80"`},
		{"</script>&'", `"</script>&'"`},
	} {
		got := string(appendJSONString(nil, tc.in))
		if got != tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("appendJSONString(%q) = %s is not valid JSON", tc.in, got)
		}
	}
}

// unescapeTSV undoes appendTSVString: \\ and \xNN.
func unescapeTSV(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
		} else if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
			b.WriteByte(byte(v))
			i += 3
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func FuzzTSVString(f *testing.F) {
	for _, s := range []string{"", "-", "(empty)", "a\tb", "x,y", `a\b`, "\xff\u00e9", "\x00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, inSet bool) {
		out := string(appendTSVString(nil, s, inSet))
		if strings.ContainsAny(out, "\t\n\r") {
			t.Fatalf("%q: output %q contains a separator or line break", s, out)
		}
		if inSet && strings.Contains(out, ",") {
			t.Fatalf("%q: set element %q contains the set separator", s, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("%q: output %q is not valid UTF-8", s, out)
		}
		want := s
		if s == "" {
			want = "(empty)"
		}
		if got := unescapeTSV(out); got != want {
			t.Fatalf("%q: output %q unescapes to %q", s, out, got)
		}
	})
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", `"`, `\`, "\n", "\x01", "\xff\u00e9", "\ue000", "\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, out, err)
		}
		if zeekUTF8(s, false) && back != s {
			t.Fatalf("%q: valid text came back as %q", s, back)
		}
	})
}

func TestAppendUint(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 65535, 1e9 - 1, 1e9, math.MaxUint32, 1e18, 1e19 - 1, 1e19, math.MaxUint64}
	for p := uint64(1); p < 1e19; p *= 10 {
		vals = append(vals, p-1, p, p+1)
	}
	for _, v := range vals {
		if got, want := string(appendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
	}
}

// plainPrefix must never claim a byte plain that tsvPlain does not.
func FuzzPlainPrefix(f *testing.F) {
	f.Add("0123456789abcdefghij")
	f.Add("abcdefg\\hijklmnop")
	f.Add("abcdefgh,ijklmnop\"")
	f.Add("\x7f\x80\xff\x1f\x20\x7e~~~~~~~~~~")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tc := range []struct {
			table *[256]bool
			a, b  byte
		}{
			{&tsvPlain, '\\', '\\'},
			{&tsvSetPlain, '\\', ','},
			{&jsonPlain, '"', '\\'},
		} {
			want := 0
			for want < len(s) && tc.table[s[want]] {
				want++
			}
			got := plainPrefix(s, tc.a, tc.b)
			if got%8 != 0 || got > want || want-got >= 8 {
				t.Fatalf("plainPrefix(%q, %q, %q) = %d, plain bytes %d", s, tc.a, tc.b, got, want)
			}
		}
	})
}
