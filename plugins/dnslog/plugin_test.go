package dnslog

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
)

// zeekFields is Zeek's default dns.log header (Zeek 8): name and type of
// every column, in order.
var zeekFields = []string{
	"ts time", "uid string", "id.orig_h addr", "id.orig_p port", "id.resp_h addr", "id.resp_p port",
	"proto enum", "trans_id count", "rtt interval", "query string", "qclass count", "qclass_name string",
	"qtype count", "qtype_name string", "rcode count", "rcode_name string", "AA bool", "TC bool",
	"RD bool", "RA bool", "Z count", "answers vector[string]", "TTLs vector[interval]", "rejected bool",
	"opcode count", "opcode_name string",
}

func TestSchemaIsZeeks(t *testing.T) {
	l, err := schema.Get("dns")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range l.Fields {
		got = append(got, f.Name+" "+f.Type.String())
	}
	if !slices.Equal(got, zeekFields) {
		t.Errorf("fields:\n got %q\nwant %q", got, zeekFields)
	}
}

func records() []event.Event {
	id := event.ConnID{
		OrigH: netip.MustParseAddr("198.18.1.1"), RespH: netip.MustParseAddr("198.18.1.53"),
		OrigP: 50580, RespP: 53, Proto: event.TransportUDP,
	}
	full := &event.DNS{
		TS: 1700000000_123456000, UID: "CabcdEFGH", ID: id, Proto: event.TransportUDP, TransID: 30854,
		RTT: 239_000, HasRTT: true, Query: "alias.weir.test", HasQuery: true,
		QClass: 1, QClassName: "C_INTERNET", QType: 1, QTypeName: "A", HasQType: true,
		RCode: 0, RCodeName: "NOERROR", HasRCode: true, AA: true, RD: true, RA: true,
		Answers: []string{"www.weir.test", "198.18.1.80"}, TTLs: []int64{0, 3600_000_000_000},
		Opcode: 0, OpcodeName: "query",
	}
	bare := &event.DNS{
		TS: 1700000001_000000000, UID: "Cxyz", ID: id, Proto: event.TransportUDP, TransID: 7,
		Z: 1, Rejected: true, Opcode: 0, OpcodeName: "query",
	}
	return []event.Event{
		{Kind: event.KindDNSMessage, Time: full.TS + full.RTT, DNS: full},
		{Kind: event.KindConnEnd}, // not subscribed: ignored
		{Kind: event.KindDNSMessage, Time: bare.TS, DNS: bare},
	}
}

func TestTSV(t *testing.T) {
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir})
	if err := p.Handle(records()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1700000002_000000000); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dns.log"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	want := []string{
		"1700000000.123456\tCabcdEFGH\t198.18.1.1\t50580\t198.18.1.53\t53\tudp\t30854\t0.000239\talias.weir.test\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tT\tF\tT\tT\t0\twww.weir.test,198.18.1.80\t0.000000,3600.000000\tF\t0\tquery",
		"1700000001.000000\tCxyz\t198.18.1.1\t50580\t198.18.1.53\t53\tudp\t7\t-\t-\t-\t-\t-\t-\t-\t-\tF\tF\tF\tF\t1\t-\t-\tT\t0\tquery",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(string(data), "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\tcount\tstring\n") {
		t.Error("#types line is not Zeek's")
	}
}

func TestJSON(t *testing.T) {
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir, Format: logs.JSON})
	if err := p.Handle(records()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1700000002_000000000); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dns.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{
		`{"ts":1700000000.123456,"uid":"CabcdEFGH","id.orig_h":"198.18.1.1","id.orig_p":50580,"id.resp_h":"198.18.1.53","id.resp_p":53,"proto":"udp","trans_id":30854,"rtt":0.000239,"query":"alias.weir.test","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":true,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["www.weir.test","198.18.1.80"],"TTLs":[0.0,3600.0],"rejected":false,"opcode":0,"opcode_name":"query"}`,
		`{"ts":1700000001.0,"uid":"Cxyz","id.orig_h":"198.18.1.1","id.orig_p":50580,"id.resp_h":"198.18.1.53","id.resp_p":53,"proto":"udp","trans_id":7,"AA":false,"TC":false,"RD":false,"RA":false,"Z":1,"rejected":true,"opcode":0,"opcode_name":"query"}`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestNoRecordsNoFile checks that dns.log is created lazily, as Zeek does.
func TestNoRecordsNoFile(t *testing.T) {
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir})
	if err := p.Handle([]event.Event{{Kind: event.KindConnEnd}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dns.log")); !os.IsNotExist(err) {
		t.Errorf("dns.log exists without records: %v", err)
	}
}
