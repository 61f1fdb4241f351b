package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
)

// conformanceDir holds Zeek's reference logs (not part of the repository;
// the test is skipped without it).
const conformanceDir = "../../../../shared/conformance/zeek/cases"

// TestZeekConformance runs the HTTP cases of the shared conformance suite
// through the analyzer with a test-only reassembler and compares every
// http.log field but ts, uid and the file ids with Zeek's reference.
func TestZeekConformance(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join(conformanceDir, "*", "http.log"))
	if len(cases) == 0 {
		t.Skip("no conformance cases in " + conformanceDir)
	}
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range cases {
		dir := filepath.Dir(ref)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			if why, ok := notHTTPCases[name]; ok {
				t.Skip(why)
			}
			want := readZeekLog(t, ref)
			conns := antest.FeedPcap(t, filepath.Join(dir, "trace.pcap"), newRecSink, httpFactory(t, a))
			var got []map[string]string
			for _, c := range conns {
				for _, ev := range c.Sink.events {
					if ev.Kind == event.KindHTTPTransaction {
						got = append(got, zeekFields(ev.HTTP))
					}
				}
			}
			compareLogs(t, want, got)
		})
	}
}

// notHTTPCases test something this harness does not do like the engine.
var notHTTPCases = map[string]string{
	"gtp-outer-ip-frag": "GTP inside fragmented outer IP: needs the engine's tunnel and fragment handling",
	"gre-over-udp":      "GRE-in-UDP tunnel: needs the engine's tunnel handling",
}

var skipFields = map[string]bool{"ts": true, "uid": true, "orig_fuids": true, "resp_fuids": true}

// readZeekLog reads a Zeek TSV log, or JSON lines (with the masked ts).
func readZeekLog(t *testing.T, path string) []map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var out []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	maskedTS := regexp.MustCompile(`"ts":X+\.X+`)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			fields = strings.Split(line, "\t")[1:]
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "{"):
			var m map[string]any
			if err := json.Unmarshal([]byte(maskedTS.ReplaceAllString(line, `"ts":0`)), &m); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rec := map[string]string{}
			for k, v := range m {
				rec[k] = jsonValue(v)
			}
			out = append(out, rec)
		default:
			vals := strings.Split(line, "\t")
			rec := map[string]string{}
			for i, f := range fields {
				if i < len(vals) {
					rec[f] = vals[i]
				}
			}
			out = append(out, rec)
		}
	}
	return out
}

func jsonValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case []any:
		var s []string
		for _, e := range v {
			s = append(s, jsonValue(e))
		}
		if len(s) == 0 {
			return "(empty)"
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v)
}

// zeekFields renders a record as Zeek's TSV writer would.
func zeekFields(h *event.HTTP) map[string]string {
	str := func(f event.HTTPField, v string) string {
		if !h.Has(f) {
			return "-"
		}
		if v == "" {
			return "(empty)"
		}
		return escapeTSV(v)
	}
	cnt := func(f event.HTTPField, v uint64) string {
		if !h.Has(f) {
			return "-"
		}
		return fmt.Sprint(v)
	}
	vec := func(v []string) string {
		if v == nil {
			return "-"
		}
		if len(v) == 0 {
			return "(empty)"
		}
		var e []string
		for _, s := range v {
			e = append(e, escapeTSV(s))
		}
		return strings.Join(e, ",")
	}
	return map[string]string{
		"id.orig_h": h.ID.OrigH.String(), "id.orig_p": fmt.Sprint(h.ID.OrigP),
		"id.resp_h": h.ID.RespH.String(), "id.resp_p": fmt.Sprint(h.ID.RespP),
		"trans_depth": fmt.Sprint(h.TransDepth),
		"method":      str(event.HTTPMethod, h.Method), "host": str(event.HTTPHost, h.Host),
		"uri": str(event.HTTPURI, h.URI), "referrer": str(event.HTTPReferrer, h.Referrer),
		"version": str(event.HTTPVersion, h.Version), "user_agent": str(event.HTTPUserAgent, h.UserAgent),
		"origin": str(event.HTTPOrigin, h.Origin), "request_body_len": fmt.Sprint(h.RequestBodyLen),
		"response_body_len": fmt.Sprint(h.ResponseBodyLen), "status_code": cnt(event.HTTPStatusCode, h.StatusCode),
		"status_msg": str(event.HTTPStatusMsg, h.StatusMsg), "info_code": cnt(event.HTTPInfoCode, h.InfoCode),
		"info_msg": str(event.HTTPInfoMsg, h.InfoMsg), "tags": vec(h.Tags),
		"username": str(event.HTTPUsername, h.Username), "password": str(event.HTTPPassword, h.Password),
		"proxied": vec(h.Proxied), "orig_filenames": vec(h.OrigFilenames), "orig_mime_types": vec(h.OrigMIMETypes),
		"resp_filenames": vec(h.RespFilenames), "resp_mime_types": vec(h.RespMIMETypes),
	}
}

func escapeTSV(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compareLogs matches records by connection and trans_depth and reports
// every field that differs (JSON references omit unset fields).
func compareLogs(t *testing.T, want, got []map[string]string) {
	key := func(r map[string]string) string {
		return r["id.orig_h"] + ":" + r["id.orig_p"] + ">" + r["id.resp_h"] + ":" + r["id.resp_p"] + "#" + r["trans_depth"]
	}
	gotBy := map[string]map[string]string{}
	for _, r := range got {
		gotBy[key(r)] = r
	}
	if len(got) != len(want) {
		t.Errorf("%d records, Zeek has %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := gotBy[key(w)]
		if !ok {
			t.Errorf("missing record %s", key(w))
			continue
		}
		for f, wv := range w {
			if skipFields[f] {
				continue
			}
			gv, known := g[f]
			if !known {
				continue // a field weir does not write
			}
			if gv != wv {
				t.Errorf("%s %s: got %q, Zeek %q", key(w), f, gv, wv)
			}
		}
		if isJSON(w) {
			// Zeek's JSON writer omits unset fields.
			for f, gv := range g {
				if _, present := w[f]; !present && gv != "-" && !skipFields[f] {
					t.Errorf("%s %s: got %q, Zeek leaves it unset", key(w), f, gv)
				}
			}
		}
	}
}

// isJSON: a TSV record has every column, file ids included.
func isJSON(w map[string]string) bool {
	_, ok := w["orig_fuids"]
	return !ok
}
