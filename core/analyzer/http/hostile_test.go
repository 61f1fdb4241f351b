package http

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestLongHeaderLineIsCutAndBounded(t *testing.T) {
	s, sink := newTestSession(t, nil)
	s.Stream(1, true, []byte("GET / HTTP/1.1\r\nX-Big: "))
	chunk := bytes.Repeat([]byte("A"), 64<<10)
	before := heapInUse()
	for i := 0; i < 160; i++ { // 10 MB without a line end
		s.Stream(2, true, chunk)
	}
	grown := int64(heapInUse()) - int64(before)
	s.Stream(3, true, []byte("\r\nHost: h\r\n\r\n"))
	s.Stream(4, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	s.End(5)
	if grown > 4<<20 {
		t.Errorf("heap grew by %d bytes for one long line", grown)
	}
	if !sink.hasWeird("contentline_size_exceeded") {
		t.Errorf("no contentline_size_exceeded weird; got %q", sink.weirds)
	}
	got := sink.lines()
	if len(got) != 1 || !strings.HasPrefix(got[0], "1 GET h / - 1.1") {
		t.Errorf("records %q", got)
	}
	if n := cap(s.lines[0].buf); n > maxKeptLineBuf {
		t.Errorf("line buffer of %d bytes kept after the long line", n)
	}
}

func TestMillionPipelinedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	s, sink := newTestSession(t, nil)
	req := []byte(strings.Repeat("GET / HTTP/1.1\r\n\r\n", 1000))
	before := heapInUse()
	var peak int64
	rounds := 1000 // 10^6 requests, no reply
	if raceEnabled {
		rounds = 100
	}
	for i := 0; i < rounds; i++ {
		s.Stream(int64(i), true, req)
		if len(sink.events) > 0 {
			sink.events = sink.events[:0] // the bus would take them
		}
		if i%250 == 0 {
			peak = max(peak, int64(heapInUse())-int64(before))
		}
	}
	if n := len(s.txns.pending); n > DefaultConfig().MaxPendingRequests+1 {
		t.Errorf("%d records pending", n)
	}
	if peak > 8<<20 {
		t.Errorf("heap grew by %d bytes", peak)
	}
	if s.unanswered.n > queueRing {
		t.Errorf("unanswered ring holds %d", s.unanswered.n)
	}
	if !sink.hasWeird("HTTP_excessive_pipelining") {
		t.Errorf("no HTTP_excessive_pipelining weird")
	}
	s.End(2000)
}

func TestHugeContentLength(t *testing.T) {
	for _, cl := range []string{"9223372036854775808", "9223372036854775807", "99999999999999999999999", "-5", "1e9", " 12abc"} {
		t.Run(cl, func(t *testing.T) {
			s, sink := newTestSession(t, nil)
			run(s, []step{
				o("POST / HTTP/1.1\r\nContent-Length: " + cl + "\r\n\r\n" + strings.Repeat("z", 100)),
				r("HTTP/1.1 200 OK\r\nContent-Length: " + cl + "\r\n\r\n" + strings.Repeat("y", 50)),
				rEOF(), oEOF(),
			})
			if len(sink.lines()) == 0 {
				t.Errorf("no record")
			}
		})
	}
}

func TestHugeChunkSize(t *testing.T) {
	s, sink := newTestSession(t, nil)
	run(s, []step{
		o("GET / HTTP/1.1\r\n\r\n"),
		r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\nabc"),
	})
	want := "1 GET - / - 1.1 - - 0 3 200 OK - - (empty) - - - - - - -"
	if got := sink.lines(); !slices.Equal(got, []string{want}) {
		t.Errorf("records %q, want %q", got, want)
	}
}

func TestTruncatedChunks(t *testing.T) {
	bodies := []string{
		"5\r\nhel",          // cut in the data
		"5\r\nhello",        // cut before the CRLF
		"5\r\nhello\r\n",    // cut before the next size
		"5\r\nhello\r\n0",   // cut in the last chunk
		"zz\r\nhello\r\n",   // bad size
		"5\r\nhello" + "XX", // no CRLF after the data
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			s, sink := newTestSession(t, nil)
			run(s, []step{
				o("GET / HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body),
				rEOF(),
			})
			if len(sink.lines()) != 1 {
				t.Errorf("records %q", sink.lines())
			}
		})
	}
}

func TestDataAfterReset(t *testing.T) {
	s, sink := newTestSession(t, nil)
	s.Stream(1, true, []byte("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"))
	s.Stream(2, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
	s.Reset(3)
	// As in Zeek, the RST interrupts the messages in progress: the
	// interrupted reply's direction is not read any more, the request
	// direction (idle at the RST) goes on.
	s.Stream(4, true, []byte("GET /b HTTP/1.1\r\n\r\n"))
	s.Stream(5, false, []byte("HTTP/1.1 200 OK\r\n\r\n"))
	s.End(6)
	want := []string{
		"1 GET h /a - 1.1 - - 0 3 200 OK - - (empty) - - - - - - -",
		"2 GET - /b - - - - 0 0 - - - - (empty) - - - - - - -",
	}
	if got := sink.lines(); !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}

func TestCalledAfterEnd(t *testing.T) {
	s, sink := newTestSession(t, nil)
	s.Stream(1, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	s.End(2)
	s.End(3)
	s.Stream(4, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	s.Gap(5, false, 10)
	s.EndOfStream(6, true)
	s.Reset(7)
	if len(sink.lines()) != 1 {
		t.Errorf("records %q", sink.lines())
	}
}

func TestGaps(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
		want  []string
	}{
		{
			"gap inside a content-length body is skipped",
			[]step{
				o("GET / HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789"), rGap(10), r("0123456789"),
				o("GET /next HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 204 No Content\r\n\r\n"),
			},
			// The gap ends the beginning of the body: its 10 bytes
			// are sniffed (Zeek's File::Gap).
			[]string{
				"1 GET - / - 1.1 - - 0 30 200 OK - - (empty) - - - - - - text/plain",
				"2 GET - /next - 1.1 - - 0 0 204 No Content - - (empty) - - - - - - -",
			},
		},
		{
			"gap inside a chunk",
			[]step{
				o("GET / HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234"), rGap(3), r("78\r\n0\r\n\r\n"),
			},
			[]string{"1 GET - / - 1.1 - - 0 10 200 OK - - (empty) - - - - - - -"},
		},
		{
			"gap in the headers ends the reply",
			[]step{
				o("GET / HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 200 OK\r\nConte"), rGap(20), r("nt-Length: 5\r\n\r\nhello"),
			},
			[]string{"1 GET - / - 1.1 - - 0 0 200 OK - - (empty) - - - - - - -"},
		},
		{
			// The request ends interrupted; the reply, not begun at
			// the gap, is still read (Zeek ends only a reply in
			// progress).
			"gap from the originator",
			[]step{
				o("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), oGap(100),
				o("GET /ignored HTTP/1.1\r\n\r\n"),
				r("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
			},
			[]string{"1 POST - / - 1.1 - - 0 2 200 OK - - (empty) - - - - - - -"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, sink := newTestSession(t, nil)
			run(s, tc.steps)
			if got := sink.lines(); !slices.Equal(got, tc.want) {
				t.Errorf("records\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestNotHTTPBeforeConfirmation(t *testing.T) {
	s, sink := newTestSession(t, nil)
	run(s, []step{r("SSH-2.0-OpenSSH_9.2\r\n"), o("SSH-2.0-OpenSSH_9.2\r\n")})
	if len(sink.violations) != 1 || sink.confirms != 0 || len(sink.lines()) != 0 {
		t.Errorf("violations %q confirms %d records %q", sink.violations, sink.confirms, sink.lines())
	}
	s2, sink2 := newTestSession(t, nil)
	run(s2, []step{o("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"), oEOF()})
	if len(sink2.violations) != 1 {
		t.Errorf("binary request: violations %q", sink2.violations)
	}
}

func TestGarbageAfterConfirmationStopsTheDirection(t *testing.T) {
	s, sink := newTestSession(t, nil)
	run(s, []step{
		o("GET / HTTP/1.1\r\n\r\n"),
		r("\x00\x01binary junk\r\nHTTP/1.1 200 OK\r\n\r\n"),
	})
	if len(sink.violations) != 0 {
		t.Errorf("violation after confirmation: %q", sink.violations)
	}
	if !slices.Contains(sink.skips, false) {
		t.Errorf("responder direction not skipped: %v", sink.skips)
	}
	if got := sink.lines(); len(got) != 1 || !strings.HasPrefix(got[0], "1 GET - / - - ") {
		t.Errorf("records %q", got)
	}
}
