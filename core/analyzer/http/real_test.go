package http

import (
	"github.com/weirnet/weir/core/analyzer/internal/antest"
	"slices"
	"testing"

	"github.com/weirnet/weir/core/event"
)

// TestRealCaptures reads the captures testdata/capture_http_ssh.sh made
// with curl, printf | nc and nginx 1.22.
func TestRealCaptures(t *testing.T) {
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string][]string{
		"real_http_curl.pcap": {
			// Three GETs on one kept-alive connection.
			"1 GET 198.18.2.2 / - 1.1 curl/7.88.1 - 0 155 200 OK - - (empty) - - - - - - text/html",
			"2 GET 198.18.2.2 /robots.txt - 1.1 curl/7.88.1 - 0 24 200 OK - - (empty) - - - - - - text/plain",
			"3 GET 198.18.2.2 /missing.html - 1.1 curl/7.88.1 - 0 153 404 Not Found - - (empty) - - - - - - text/html",
			// gzip, chunked: 27600 bytes once decompressed.
			"1 GET 198.18.2.2 /data.txt - 1.1 curl/7.88.1 - 0 27600 200 OK - - (empty) - - - - - - text/plain",
			"1 POST 198.18.2.2 /submit - 1.1 curl/7.88.1 - 40 7 201 Created - - (empty) weir - - - text/json - -",
			"1 HEAD 198.18.2.2 /index.html - 1.1 curl/7.88.1 - 0 0 200 OK - - (empty) - - - - - - -",
			"1 GET 198.18.2.2 /robots.txt - 1.1 weir-capture/1.0 - 0 24 200 OK - - (empty) - - - - - - text/plain",
		},
		"real_http_pipelined.pcap": {
			"1 GET 198.18.2.2 / - 1.1 printf-nc - 0 155 200 OK - - (empty) - - - - - - text/html",
			"2 GET 198.18.2.2 /robots.txt - 1.1 printf-nc - 0 24 200 OK - - (empty) - - - - - - text/plain",
			"3 GET 198.18.2.2 /missing - 1.1 printf-nc - 0 153 404 Not Found - - (empty) - - - - - - text/html",
		},
	} {
		var got []string
		for _, c := range antest.FeedPcap(t, "../../../testdata/pcaps/"+file, newRecSink, httpFactory(t, a)) {
			for _, ev := range c.Sink.events {
				if ev.Kind == event.KindHTTPTransaction {
					got = append(got, logLine(ev.HTTP))
				}
			}
			if len(c.Sink.weirds) > 0 || len(c.Sink.violations) > 0 {
				t.Errorf("%s: weirds %q violations %q", file, c.Sink.weirds, c.Sink.violations)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", file, got, want)
		}
	}
}
