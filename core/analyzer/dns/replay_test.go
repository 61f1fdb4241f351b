package dns_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/dns"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/dnslog"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/file"
)

// replay runs a capture through the decoder, the connection tracker with
// the DNS analyzer, and the dns.log plugin writing TSV into dir. It returns
// the events the tracker published (DNS records and weirds).
func replay(t testing.TB, pcap, dir string, checksums bool) []event.Event {
	t.Helper()
	a, err := dns.New(dns.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := conn.DefaultConfig()
	cfg.Analyzers = []analyzer.Analyzer{a}
	tr := conn.NewTracker(cfg)
	dcfg := decode.DefaultConfig()
	dcfg.CheckChecksums = checksums
	dec := decode.NewDecoder(dcfg)

	src, err := file.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	plug := dnslog.New(logs.Options{Dir: dir})
	var all []event.Event
	take := func() {
		evs := tr.TakeEvents()
		for _, ev := range evs {
			if ev.Kind == event.KindDNSMessage || ev.Kind == event.KindWeird {
				all = append(all, ev)
			}
		}
		if err := plug.Handle(evs); err != nil {
			t.Fatal(err)
		}
	}
	var f sources.Frame
	var p decode.Packet
	var last int64
	for {
		if err := src.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", pcap, err)
		}
		p.TS, p.Link, p.Data, p.WireLen, p.Iface = f.TS, f.Link, f.Data, f.WireLen, f.Iface
		dec.Decode(&p)
		last = max(last, p.TS)
		if p.Status != decode.OK {
			continue
		}
		tr.Packet(&p, last)
		take()
	}
	tr.Flush(last)
	take()
	if err := plug.Close(last); err != nil {
		t.Fatal(err)
	}
	return all
}

// tsvLog is a parsed Zeek TSV log: its field names and records.
type tsvLog struct {
	fields []string
	recs   [][]string
}

func readTSV(t testing.TB, path string) tsvLog {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l tsvLog
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "#fields"):
			l.fields = strings.Split(line, "\t")[1:]
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			l.recs = append(l.recs, strings.Split(line, "\t"))
		}
	}
	return l
}

func (l tsvLog) get(rec []string, field string) string {
	for i, f := range l.fields {
		if f == field && i < len(rec) {
			return rec[i]
		}
	}
	return ""
}

// conformanceCases are Zeek's test traces with a dns.log that this harness
// can replay. gre and gre-over-udp also have one, but their DNS is inside
// tunnels, which the harness's plain decode-and-track loop does not open.
var conformanceCases = []string{
	"dns-dnskey", "dns-dnskey2", "dns-ds", "dns-dynamic-update", "dns-ipv6-frag", "dns-loc",
	"dns-rrsig", "dns-spf", "dns-sshfp", "dns-txt-multiple", "dns-wks", "wikipedia",
}

// TestZeekConformance replays Zeek's DNS test traces (from the shared
// conformance folder, when it exists; they are not part of the repository)
// and compares every dns.log field but ts and uid with Zeek's reference
// log. Records are matched by connection endpoints, transaction id and
// order. Set WEIR_DNS_CONFORMANCE_OUT to keep the logs (for score.py).
func TestZeekConformance(t *testing.T) {
	root := "/work/shared/conformance/zeek/cases"
	if _, err := os.Stat(root); err != nil {
		t.Skip("Zeek conformance cases not available")
	}
	var agree, total int
	for _, name := range conformanceCases {
		t.Run(name, func(t *testing.T) {
			cdir := filepath.Join(root, name)
			if _, err := os.Stat(filepath.Join(cdir, "dns.log")); err != nil {
				t.Skip("no dns.log reference")
			}
			meta, _ := os.ReadFile(filepath.Join(cdir, "case.json"))
			checksums := !strings.Contains(string(meta), `"ignore_checksums": true`)
			out := t.TempDir()
			if keep := os.Getenv("WEIR_DNS_CONFORMANCE_OUT"); keep != "" {
				out = filepath.Join(keep, name)
				os.RemoveAll(out)
			}
			replay(t, filepath.Join(cdir, "trace.pcap"), out, checksums)
			ref := readTSV(t, filepath.Join(cdir, "dns.log"))
			var ours tsvLog
			if _, err := os.Stat(filepath.Join(out, "dns.log")); err == nil {
				ours = readTSV(t, filepath.Join(out, "dns.log"))
			}
			key := func(l tsvLog, r []string) string {
				return strings.Join([]string{l.get(r, "id.orig_h"), l.get(r, "id.orig_p"), l.get(r, "id.resp_h"),
					l.get(r, "id.resp_p"), l.get(r, "trans_id")}, " ")
			}
			used := make([]bool, len(ours.recs))
			a, n := 0, 0
			for _, rr := range ref.recs {
				k := key(ref, rr)
				mi := -1
				for i, or := range ours.recs {
					if !used[i] && key(ours, or) == k {
						mi = i
						break
					}
				}
				for _, f := range ref.fields {
					if f == "ts" || f == "uid" || f == "auth" || f == "addl" {
						continue
					}
					n++
					want := ref.get(rr, f)
					if mi < 0 {
						continue
					}
					if got := ours.get(ours.recs[mi], f); got == want {
						a++
					} else {
						t.Errorf("record %q field %s: got %q, want %q", k, f, got, want)
					}
				}
				if mi < 0 {
					t.Errorf("record %q: not written", k)
				} else {
					used[mi] = true
				}
			}
			for i, u := range used {
				if !u {
					t.Errorf("extra record %q", key(ours, ours.recs[i]))
				}
			}
			t.Logf("%s: %d of %d Zeek records, %d/%d fields agree", name, len(ours.recs), len(ref.recs), a, n)
			agree += a
			total += n
		})
	}
	if total > 0 {
		t.Logf("all cases: %d/%d fields agree (%.1f%%)", agree, total, 100*float64(agree)/float64(total))
	}
}

// TestRealCapture replays testdata/pcaps/real_dns_basic.pcap (dnsmasq and
// dig in two network namespaces, made by testdata/capture_dns.sh) and
// checks every record.
func TestRealCapture(t *testing.T) {
	evs := replay(t, "../../../testdata/pcaps/real_dns_basic.pcap", t.TempDir(), true)
	type rec struct {
		proto, query, qtype, rcode string
		answers                    string
		rtt, rejected              bool
	}
	var got []rec
	for _, ev := range evs {
		if ev.Kind == event.KindWeird {
			t.Errorf("weird %s %s", ev.Weird.Name, ev.Weird.Addl)
			continue
		}
		d := ev.DNS
		got = append(got, rec{d.Proto.String(), d.Query, d.QTypeName, d.RCodeName,
			strings.Join(d.Answers, ","), d.HasRTT, d.Rejected})
	}
	tunnel := "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpizdgnbvgy3tqojqgezt.gnbvgy3tqojqonrhi2lfnzsxgylmnfzxgzlsmvzgk3tfon2gs4mfrggzdfmzt.wq2lknnwg23tpobyxe43uov3ho6dzpiza.tunnel.weir.test"
	want := []rec{
		{"udp", "www.weir.test", "A", "NOERROR", "198.18.1.80", true, false},
		{"udp", "www.weir.test", "AAAA", "NOERROR", "2001:db8:53::80", true, false},
		{"udp", "alias.weir.test", "A", "NOERROR", "www.weir.test,198.18.1.80", true, false},
		{"udp", "weir.test", "MX", "NOERROR", "mail.weir.test", true, false},
		{"udp", "txt.weir.test", "TXT", "NOERROR", "TXT 11 v=spf1 -all TXT 11 hello world", true, false},
		{"udp", "_sip._udp.weir.test", "SRV", "NOERROR", "sip.weir.test", true, false},
		{"udp", "80.1.18.198.in-addr.arpa", "PTR", "NOERROR", "www.weir.test", true, false},
		{"udp", "nope.weir.test", "A", "NXDOMAIN", "", false, false},
		{"udp", "mail.weir.test", "AAAA", "NOERROR", "", false, false},
		{"udp", tunnel, "TXT", "NXDOMAIN", "", false, false},
		{"udp", "www.weir.test", "AAAA", "NOERROR", "2001:db8:53::80", true, false},
		{"tcp", "www.weir.test", "A", "NOERROR", "198.18.1.80", true, false},
		{"tcp", "txt.weir.test", "TXT", "NOERROR", "TXT 11 v=spf1 -all TXT 11 hello world", true, false},
		{"tcp", "nope.weir.test", "A", "NXDOMAIN", "", false, false},
		{"tcp", "alias.weir.test", "A", "NOERROR", "www.weir.test,198.18.1.80", true, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzDNSMessage from testdata/pcaps/real_dns_basic.pcap")

// TestWriteFuzzSeeds writes the DNS payloads of the real capture as seeds
// of FuzzDNSMessage (UDP payloads and TCP segments as they are), when run
// with -update-seeds; otherwise it checks that the seeds exist.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDNSMessage")
	if !*updateSeeds {
		if ents, err := os.ReadDir(dir); err != nil || len(ents) < 10 {
			t.Fatalf("seed corpus %s missing (%v); run go test -run TestWriteFuzzSeeds -update-seeds", dir, err)
		}
		return
	}
	src, err := file.Open("../../../testdata/pcaps/real_dns_basic.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dec := decode.NewDecoder(decode.DefaultConfig())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var f sources.Frame
	var p decode.Packet
	n := 0
	for src.Next(&f) == nil {
		p.TS, p.Link, p.Data, p.WireLen = f.TS, f.Link, f.Data, f.WireLen
		dec.Decode(&p)
		if p.Status != decode.OK || len(p.Payload) == 0 || p.SrcPort != 53 && p.DstPort != 53 {
			continue
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", p.Payload)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("real-%02d", n)), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	t.Logf("wrote %d seeds", n)
}
