package http

import (
	"testing"
)

// fuzzSession plays orig and resp against a fresh session, each cut into
// pieces of at most split bytes, interleaved, then ends the directions and
// the session. It checks the invariants that hold whatever the input:
// memory bounds, and that every published record is complete enough to log.
func fuzzSession(t *testing.T, orig, resp []byte, split uint8) {
	s, sink := newTestSession(t, func(c *Config) {
		c.MaxLineLength = 1024
		c.MaxPendingRequests = 8
	})
	n := int(split)%64 + 1
	ts := int64(1)
	for len(orig) > 0 || len(resp) > 0 {
		ts++
		if len(orig) > 0 {
			k := min(n, len(orig))
			s.Stream(ts, true, orig[:k])
			orig = orig[k:]
		}
		if len(resp) > 0 {
			k := min(n, len(resp))
			s.Stream(ts, false, resp[:k])
			resp = resp[k:]
		}
		if len(s.lines[0].buf) > 1024 || len(s.lines[1].buf) > 1024 {
			t.Fatalf("line buffer beyond its bound: %d %d", len(s.lines[0].buf), len(s.lines[1].buf))
		}
		if len(s.txns.pending) > 9 {
			t.Fatalf("%d records pending", len(s.txns.pending))
		}
	}
	if split&1 == 0 {
		s.EndOfStream(ts, false)
		s.EndOfStream(ts, true)
	}
	s.End(ts + 1)
	if len(s.txns.pending) != 0 {
		t.Fatalf("records left after End")
	}
	for _, ev := range sink.events {
		h := ev.HTTP
		if h == nil || h.TransDepth == 0 || h.UID == "" {
			t.Fatalf("incomplete record %+v", h)
		}
	}
}

var fuzzRequests = []string{
	"GET /index.html HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.0\r\n\r\n",
	"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n",
	"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=xx\r\nContent-Length: 60\r\n\r\n--xx\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\ndata\r\n--xx--\r\n",
	"GET /zeek.html\n",
	"CONNECT h:443 HTTP/1.1\r\n\r\n\x16\x03\x01",
	"GET /%u0041%%zz%",
	"GET / HTTP/1.1\r\nAuthorization: Basic YWxpY2U6cHc=\r\nX-Forwarded-For: 1.2.3.4\r\n folded\r\n\r\n",
}

var fuzzReplies = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gz("<html>compressed</html>"),
	"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-19/100\r\nContent-Length: 10\r\n\r\n0123456789",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x00",
	"<html>0.9 style</html>",
	"HTTP/1.0 200 OK\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\npart\r\n--b--\r\n",
}

func FuzzHTTPRequest(f *testing.F) {
	for i, r := range fuzzRequests {
		f.Add([]byte(r), uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, req []byte, split uint8) {
		fuzzSession(t, req, []byte(fuzzReplies[int(split)%len(fuzzReplies)]), split)
	})
}

func FuzzHTTPResponse(f *testing.F) {
	for i, r := range fuzzReplies {
		f.Add([]byte(r), uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, resp []byte, split uint8) {
		fuzzSession(t, []byte(fuzzRequests[int(split)%len(fuzzRequests)]), resp, split)
	})
}
