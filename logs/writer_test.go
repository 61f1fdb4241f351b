package logs

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	openTS  = 1300475167096535000 // 2011-03-18-19-06-07 UTC
	closeTS = 1300478400000000000 // 2011-03-18-20-00-00 UTC
)

// goldenConns covers unset, empty and set values, escaping, IPv6 and
// IPv4-mapped addresses.
var goldenConns = []connRec{
	typicalConn,
	{
		// UDP over IPv6, nothing confirmed: many unset fields, an empty
		// set, a duration of exactly one second, sub-microsecond time.
		ts:               1300475168000000999,
		uid:              "CwjjYJ2WqgTbAqiHl6",
		origH:            netip.MustParseAddr("fe80::217:f2ff:fed7:cf65"),
		origP:            5353,
		respH:            netip.MustParseAddr("ff02::fb"),
		respP:            5353,
		proto:            "udp",
		duration:         ptr(int64(1e9)),
		origBytes:        ptr(uint64(0)),
		respBytes:        ptr(uint64(0)),
		connState:        "S0",
		history:          "D",
		origPkts:         1,
		origIP:           125,
		tunnelParentsSet: true,
		ipProto:          17,
		communityID:      "1:UWKKMRDQyyWvSD4X5EWjzQC6+Yk=",
	},
	{
		// Values that need escaping: placeholders, separators,
		// backslash, controls, UTF-8 (valid and not), set elements.
		ts:               1300475169780331000,
		uid:              "C\u00e9-UTF8",
		origH:            netip.MustParseAddr("::ffff:192.168.1.102"),
		origP:            68,
		respH:            netip.MustParseAddr("::192.168.1.1"),
		respP:            67,
		proto:            "unknown_transport",
		service:          ptr("-"),
		duration:         ptr(int64(-1500)),
		connState:        "(empty)",
		localOrig:        ptr(false),
		localResp:        ptr(true),
		missedBytes:      18446744073709551615,
		history:          "a\tb\nc\\d\x7fe\xc3\xa9",
		tunnelParents:    []string{"a,b", "-", "", "(empty)", "x\xffy\xc3\xa9"},
		tunnelParentsSet: true,
		ipProto:          255,
		communityID:      "\"quoted\" \xee\x80\x80 \xf0\x9f\x98\x84 \x01",
	},
}

var goldenWeirds = []struct {
	ts                 int64
	uid                string
	id                 bool
	name, addl, source string
	notice             bool
	origP, respP       uint16
	origH, respH       netip.Addr
}{
	{ts: 1300475167100000000, name: "truncated_IP", addl: "len=1500 caplen=60", source: "IP"},
	{
		ts: 1300475168200000000, uid: "CHhAvVGS1DHFjwGM9", id: true,
		origH: netip.MustParseAddr("141.142.220.118"), origP: 48649,
		respH: netip.MustParseAddr("2001:db8::1"), respP: 80,
		name: "unknown_HTTP_method", addl: "GE\x00T", notice: true, source: "HTTP",
	},
}

func writeWeirds(t *testing.T, w *Writer) {
	t.Helper()
	for _, r := range goldenWeirds {
		w.Begin()
		w.Time(r.ts)
		if r.uid != "" {
			w.String(r.uid)
		} else {
			w.Unset()
		}
		if r.id {
			w.Addr(r.origH)
			w.Port(r.origP)
			w.Addr(r.respH)
			w.Port(r.respP)
		} else {
			w.Addr(netip.Addr{}) // the zero Addr is unset
			w.Unset()
			w.Unset()
			w.Unset()
		}
		w.String(r.name)
		w.String(r.addl)
		w.Bool(r.notice)
		w.Unset()
		w.String(r.source)
		if err := w.End(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden writes the golden records in every format and compares the
// files with testdata/<log>.<format>.golden; -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"tsv", Options{Format: TSV}},
		{"json", Options{Format: JSON}},
		{"json-iso", Options{Format: JSON, ISOTime: true}},
	} {
		for _, log := range []string{"conn", "weird"} {
			t.Run(log+"."+tc.name, func(t *testing.T) {
				o := tc.opts
				o.Dir = t.TempDir()
				w, err := Create(mustSchema(log), o, openTS)
				if err != nil {
					t.Fatal(err)
				}
				if log == "conn" {
					for i := range goldenConns {
						if err := writeConn(w, &goldenConns[i]); err != nil {
							t.Fatal(err)
						}
					}
				} else {
					writeWeirds(t, w)
				}
				if err := w.Close(closeTS); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(o.Dir, log+".log"))
				if err != nil {
					t.Fatal(err)
				}
				if tc.opts.Format == JSON {
					for i, line := range bytes.Split(bytes.TrimSuffix(got, []byte("\n")), []byte("\n")) {
						if !json.Valid(line) {
							t.Errorf("line %d is not valid JSON: %s", i+1, line)
						}
					}
				}
				checkGolden(t, filepath.Join("testdata", log+"."+tc.name+".golden"), got)
			})
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got %q\nwant %q", path, i+1, g, w)
			}
		}
	}
}
