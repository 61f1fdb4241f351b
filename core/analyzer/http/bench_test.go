package http

import (
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// nopSink is the cheapest sink: it drops everything.
type nopSink struct{ n int }

func (s *nopSink) Emit(event.Event)          { s.n++ }
func (*nopSink) Confirm(string)              {}
func (*nopSink) Violation(string, string)    {}
func (*nopSink) Weird(string, string, int64) {}
func (*nopSink) Skip(string, bool)           {}
func (*nopSink) Start(string) bool           { return false }
func (*nopSink) Redetect()                   {}

// The short connection of testdata/gen -short-http: GET / and a 200 with a
// 128-byte body.
var (
	shortReq  = []byte("GET / HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: weir-gen/1.0\r\nAccept: */*\r\n\r\n")
	shortResp = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 128\r\n\r\n" + strings.Repeat("0123456789abcde\n", 8))
)

// BenchmarkHTTPSession is one short HTTP connection: session creation,
// the request and the reply (one segment each), both FINs, the end.
func BenchmarkHTTPSession(b *testing.B) {
	a, _ := New(DefaultConfig())
	sink := &nopSink{}
	c := analyzer.NewConn("CbenchUID", testID, 1, Name, sink)
	b.ReportAllocs()
	b.SetBytes(int64(len(shortReq) + len(shortResp)))
	for i := 0; b.Loop(); i++ {
		s := a.NewSession(c).(*Session)
		s.Stream(2, true, shortReq)
		s.Stream(3, false, shortResp)
		s.EndOfStream(4, true)
		s.EndOfStream(5, false)
		s.End(6)
	}
	if sink.n == 0 {
		b.Fatal("no records")
	}
}

// BenchmarkHTTPKeepAlive is one more transaction on a warm connection.
func BenchmarkHTTPKeepAlive(b *testing.B) {
	a, _ := New(DefaultConfig())
	sink := &nopSink{}
	s := a.NewSession(analyzer.NewConn("CbenchUID", testID, 1, Name, sink)).(*Session)
	b.ReportAllocs()
	for b.Loop() {
		s.Stream(2, true, shortReq)
		s.Stream(3, false, shortResp)
	}
}

// BenchmarkHTTPBody streams a large body in 1448-byte segments.
func BenchmarkHTTPBody(b *testing.B) {
	a, _ := New(DefaultConfig())
	s := a.NewSession(analyzer.NewConn("CbenchUID", testID, 1, Name, &nopSink{})).(*Session)
	s.Stream(1, true, shortReq)
	s.Stream(2, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n"))
	seg := []byte(strings.Repeat("x", 1448))
	b.SetBytes(int64(len(seg)))
	b.ReportAllocs()
	for b.Loop() {
		s.Stream(3, false, seg)
	}
}

// BenchmarkHTTPGzipBody counts a gzip body in 1448-byte segments.
func BenchmarkHTTPGzipBody(b *testing.B) {
	a, _ := New(DefaultConfig())
	var text strings.Builder
	for i := 0; text.Len() < 1<<20; i++ {
		text.WriteString("<tr><td>row ")
		text.WriteString(itoa(i))
		text.WriteString("</td><td>some table cell text</td></tr>\n")
	}
	body := []byte(gz(text.String()))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := a.NewSession(analyzer.NewConn("CbenchUID", testID, 1, Name, &nopSink{})).(*Session)
		s.Stream(1, true, shortReq)
		s.Stream(2, false, []byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"))
		for rest := body; len(rest) > 0; {
			n := min(1448, len(rest))
			s.Stream(3, false, rest[:n])
			rest = rest[n:]
		}
		s.End(4)
	}
}

func TestBodyDoesNotAllocate(t *testing.T) {
	a, _ := New(DefaultConfig())
	s := a.NewSession(analyzer.NewConn("CtestUID", testID, 1, Name, &nopSink{})).(*Session)
	s.Stream(1, true, shortReq)
	s.Stream(2, false, []byte("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n"))
	seg := []byte(strings.Repeat("x", 1448))
	s.Stream(3, false, seg) // the sniff buffer fills and goes back
	s.Stream(3, false, seg)
	s.Stream(3, false, seg)
	if n := testing.AllocsPerRun(1000, func() { s.Stream(3, false, seg) }); n != 0 {
		t.Errorf("a body segment costs %v allocations", n)
	}
	// Chunked: the chunk size lines and the data.
	s2 := a.NewSession(analyzer.NewConn("CtestUID", testID, 1, Name, &nopSink{})).(*Session)
	s2.Stream(1, true, shortReq)
	s2.Stream(2, false, []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
	chunk := []byte("5a0\r\n" + strings.Repeat("y", 0x5a0) + "\r\n")
	for range 5 {
		s2.Stream(3, false, chunk)
	}
	if n := testing.AllocsPerRun(1000, func() { s2.Stream(3, false, chunk) }); n != 0 {
		t.Errorf("a chunk costs %v allocations", n)
	}
}

func TestTransactionAllocations(t *testing.T) {
	a, _ := New(DefaultConfig())
	s := a.NewSession(analyzer.NewConn("CtestUID", testID, 1, Name, &nopSink{})).(*Session)
	for range 3 {
		s.Stream(2, true, shortReq)
		s.Stream(3, false, shortResp)
	}
	// The record, its URI, host and user agent strings.
	n := testing.AllocsPerRun(200, func() {
		s.Stream(2, true, shortReq)
		s.Stream(3, false, shortResp)
	})
	if n > 5 {
		t.Errorf("a keep-alive transaction costs %v allocations", n)
	}
}
