package httplog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
)

var id = event.ConnID{
	OrigH: netip.MustParseAddr("198.18.0.1"), OrigP: 40000,
	RespH: netip.MustParseAddr("198.18.0.2"), RespP: 80, Proto: event.TransportTCP,
}

func records() []event.Event {
	full := &event.HTTP{
		TS: 1700000000123456000, UID: "Cabc", ID: id, TransDepth: 1,
		Method: "GET", Host: "example.test", URI: "/a b\t\x07", Version: "1.1", UserAgent: "curl/8",
		Origin: "", RequestBodyLen: 0, ResponseBodyLen: 12, StatusCode: 200, StatusMsg: "OK",
		InfoCode: 100, InfoMsg: "Continue", Tags: []string{}, Username: "alice",
		Proxied:       []string{"VIA -> 1.1 proxy", "X-FORWARDED-FOR -> 10.0.0.1"},
		OrigFilenames: []string{"a.txt"}, OrigMIMETypes: []string{"text/plain"},
		RespMIMETypes: []string{"text/html", "image/png"},
		Set: event.HTTPMethod | event.HTTPHost | event.HTTPURI | event.HTTPVersion | event.HTTPUserAgent |
			event.HTTPOrigin | event.HTTPStatusCode | event.HTTPStatusMsg | event.HTTPInfoCode | event.HTTPInfoMsg |
			event.HTTPUsername,
	}
	bare := &event.HTTP{TS: 1700000001000000000, UID: "Cdef", ID: id, TransDepth: 2, Tags: []string{}}
	return []event.Event{
		{Kind: event.KindHTTPTransaction, Time: full.TS, HTTP: full},
		{Kind: event.KindConnEnd}, // not subscribed: ignored
		{Kind: event.KindHTTPTransaction, Time: bare.TS, HTTP: bare},
	}
}

func write(t *testing.T, format logs.Format) string {
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir, Format: format})
	if err := p.Open(0); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(records()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(1700000002000000000); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "http.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTSV(t *testing.T) {
	out := write(t, logs.TSV)
	var fields string
	var recs []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "#fields"):
			fields = l
		case l != "" && !strings.HasPrefix(l, "#"):
			recs = append(recs, l)
		}
	}
	wantFields := "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_filenames\torig_mime_types\tresp_filenames\tresp_mime_types"
	if fields != wantFields {
		t.Errorf("fields\n got %q\nwant %q", fields, wantFields)
	}
	want := []string{
		"1700000000.123456\tCabc\t198.18.0.1\t40000\t198.18.0.2\t80\t1\tGET\texample.test\t/a b\\x09\\x07\t-\t1.1\tcurl/8\t(empty)\t0\t12\t200\tOK\t100\tContinue\t(empty)\talice\t-\tVIA -> 1.1 proxy,X-FORWARDED-FOR -> 10.0.0.1\ta.txt\ttext/plain\t-\ttext/html,image/png",
		"1700000001.000000\tCdef\t198.18.0.1\t40000\t198.18.0.2\t80\t2\t-\t-\t-\t-\t-\t-\t-\t0\t0\t-\t-\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-",
	}
	if len(recs) != len(want) {
		t.Fatalf("records %q", recs)
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Errorf("record %d\n got %q\nwant %q", i, recs[i], want[i])
		}
	}
}

func TestJSON(t *testing.T) {
	out := write(t, logs.JSON)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	want := `{"ts":1700000001.0,"uid":"Cdef","id.orig_h":"198.18.0.1","id.orig_p":40000,"id.resp_h":"198.18.0.2","id.resp_p":80,"trans_depth":2,"request_body_len":0,"response_body_len":0,"tags":[]}`
	if lines[1] != want {
		t.Errorf("json\n got %s\nwant %s", lines[1], want)
	}
	if !strings.Contains(lines[0], `"origin":"","request_body_len":0`) || !strings.Contains(lines[0], `"resp_mime_types":["text/html","image/png"]`) {
		t.Errorf("json %s", lines[0])
	}
}

func TestNoFileWithoutRecords(t *testing.T) {
	dir := t.TempDir()
	p := New(logs.Options{Dir: dir})
	p.Handle([]event.Event{{Kind: event.KindConnEnd}})
	p.Close(1)
	if _, err := os.Stat(filepath.Join(dir, "http.log")); !os.IsNotExist(err) {
		t.Errorf("http.log created without records: %v", err)
	}
}
