package tls

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// This file drives sessions from capture files the way the connection
// tracker will: TCP payload reassembled in order per direction, UDP
// payload per datagram, data of both directions handed to the session from
// the first segment that Detect accepts (so that STARTTLS connections start
// where TLS starts, as after the hand-off), nothing for connections whose SYN was not seen (Zeek's
// SSL analyzer ignores partial connections), End at the end of the capture.

// testSink records what a session reports.
type testSink struct {
	events    []event.Event
	weirds    []string
	confirmed int
	violation string
	skipped   [2]bool
}

func (k *testSink) Emit(ev event.Event)           { k.events = append(k.events, ev) }
func (k *testSink) Confirm(string)                { k.confirmed++ }
func (k *testSink) Violation(_, reason string)    { k.violation = reason }
func (k *testSink) Weird(name, _ string, _ int64) { k.weirds = append(k.weirds, name) }
func (k *testSink) Skip(_ string, isOrig bool)    { k.skipped[side(isOrig)] = true }
func (k *testSink) Start(string) bool             { return false }
func (k *testSink) Redetect()                     {}

// newTestSession returns a session on a TCP or UDP connection and its sink.
func newTestSession(t testing.TB, a *Analyzer, proto event.Transport) (*session, *testSink) {
	t.Helper()
	if a == nil {
		var err error
		if a, err = NewAnalyzer(Config{}); err != nil {
			t.Fatal(err)
		}
	}
	sink := &testSink{}
	id := event.ConnID{
		OrigH: netip.MustParseAddr("198.18.0.1"), OrigP: 40000,
		RespH: netip.MustParseAddr("198.18.0.2"), RespP: 443, Proto: proto,
	}
	c := analyzer.NewConn("CTestUID0000000001", id, 1, Name, sink)
	return a.NewSession(c).(*session), sink
}

type flowKey struct {
	a, b  netip.AddrPort
	proto uint8
}

type testFlow struct {
	id      event.ConnID
	orig    netip.AddrPort
	tcp     bool
	partial bool
	sess    analyzer.Session
	sink    *testSink
	started bool
	raw     [2][]byte // what was delivered, per side (for fuzz seeds)
	dgrams  [][]byte  // UDP payloads delivered
	next    [2]uint32
	haveSeq [2]bool
	pending [2]map[uint32][]byte
}

// capture is what a run over one capture produced.
type capture struct {
	flows []*testFlow
}

// records returns the TLS records of all flows, in flow order.
func (c *capture) records() []*event.TLS {
	var out []*event.TLS
	for _, f := range c.flows {
		for _, ev := range f.sink.events {
			if ev.Kind == event.KindTLSHandshake {
				out = append(out, ev.TLS)
			}
		}
	}
	return out
}

func (c *capture) weirds() []string {
	var out []string
	for _, f := range c.flows {
		out = append(out, f.sink.weirds...)
	}
	return out
}

// runCapture analyzes every TCP and UDP flow of a pcap or pcapng file.
func runCapture(t testing.TB, path string, a *Analyzer) *capture {
	t.Helper()
	if a == nil {
		var err error
		if a, err = NewAnalyzer(Config{}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var next func() ([]byte, gopacket.CaptureInfo, error)
	var link layers.LinkType
	if r, err := pcapgo.NewReader(f); err == nil {
		next, link = r.ReadPacketData, r.LinkType()
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("%s: neither pcap nor pcapng: %v", path, err)
		}
		next, link = r.ReadPacketData, r.LinkType()
	}
	flows := map[flowKey]*testFlow{}
	c := &capture{}
	var last int64
	for n := 1; ; n++ {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, n, err)
		}
		ts := ci.Timestamp.UnixNano()
		last = ts
		pkt := gopacket.NewPacket(data, link, gopacket.Default)
		var src, dst netip.Addr
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
		default:
			continue
		}
		switch l4 := pkt.TransportLayer().(type) {
		case *layers.TCP:
			s := netip.AddrPortFrom(src, uint16(l4.SrcPort))
			d := netip.AddrPortFrom(dst, uint16(l4.DstPort))
			fl := c.flow(flows, a, s, d, 6, l4.SYN && !l4.ACK)
			fl.tcpSegment(ts, s, l4)
		case *layers.UDP:
			s := netip.AddrPortFrom(src, uint16(l4.SrcPort))
			d := netip.AddrPortFrom(dst, uint16(l4.DstPort))
			fl := c.flow(flows, a, s, d, 17, true)
			fl.deliver(ts, s == fl.orig, l4.Payload)
		}
	}
	for _, fl := range c.flows {
		if fl.sess != nil && fl.sink.violation == "" {
			fl.sess.End(last)
		}
	}
	return c
}

func (c *capture) flow(flows map[flowKey]*testFlow, a *Analyzer, s, d netip.AddrPort, proto uint8, opens bool) *testFlow {
	k := flowKey{s, d, proto}
	if s.Compare(d) > 0 {
		k = flowKey{d, s, proto}
	}
	if fl := flows[k]; fl != nil {
		return fl
	}
	fl := &testFlow{orig: s, tcp: proto == 6, partial: !opens, sink: &testSink{}}
	fl.id = event.ConnID{OrigH: s.Addr(), OrigP: s.Port(), RespH: d.Addr(), RespP: d.Port(), Proto: event.TransportTCP}
	if proto == 17 {
		fl.id.Proto = event.TransportUDP
	}
	conn := analyzer.NewConn(fmt.Sprintf("C%d", len(c.flows)), fl.id, 0, Name, fl.sink)
	fl.sess = a.NewSession(conn)
	flows[k] = fl
	c.flows = append(c.flows, fl)
	return fl
}

func (fl *testFlow) tcpSegment(ts int64, src netip.AddrPort, tcp *layers.TCP) {
	if fl.partial {
		return
	}
	isOrig := src == fl.orig
	i := side(isOrig)
	if tcp.SYN {
		fl.next[i], fl.haveSeq[i] = tcp.Seq+1, true
		return
	}
	if len(tcp.Payload) == 0 || !fl.haveSeq[i] {
		return
	}
	seq, data := tcp.Seq, tcp.Payload
	if d := int32(fl.next[i] - seq); d > 0 { // retransmission or overlap
		if int(d) >= len(data) {
			return
		}
		seq, data = fl.next[i], data[d:]
	}
	if seq != fl.next[i] {
		if fl.pending[i] == nil {
			fl.pending[i] = map[uint32][]byte{}
		}
		fl.pending[i][seq] = append([]byte(nil), data...)
		return
	}
	fl.deliver(ts, isOrig, data)
	fl.next[i] += uint32(len(data))
	for {
		progressed := false
		for s, d := range fl.pending[i] {
			if off := int32(fl.next[i] - s); off >= 0 {
				delete(fl.pending[i], s)
				if int(off) < len(d) {
					fl.deliver(ts, isOrig, d[off:])
					fl.next[i] += uint32(len(d) - int(off))
				}
				progressed = true
			}
		}
		if !progressed {
			return
		}
	}
}

func (fl *testFlow) deliver(ts int64, isOrig bool, data []byte) {
	i := side(isOrig)
	if fl.sink.violation != "" || fl.sink.skipped[i] || len(data) == 0 {
		return
	}
	if !fl.started {
		if detect(isOrig, data) != analyzer.Match {
			return
		}
		fl.started = true
	}
	if fl.tcp {
		fl.raw[i] = append(fl.raw[i], data...)
		fl.sess.Stream(ts, isOrig, data)
	} else {
		fl.dgrams = append(fl.dgrams, append([]byte{byte(i)}, data...))
		fl.sess.Datagram(ts, isOrig, data)
	}
}

// zeekLog is a Zeek TSV log: its field names and rows.
type zeekLog struct {
	fields []string
	rows   [][]string
}

func readZeekLog(t testing.TB, path string) *zeekLog {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &zeekLog{}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			l.fields = strings.Split(line, "\t")[1:]
		case line == "" || line[0] == '#':
		default:
			l.rows = append(l.rows, strings.Split(line, "\t"))
		}
	}
	return l
}

// zeekValue writes a record's field as Zeek's TSV writer would.
func zeekValue(r *event.TLS, field string) string {
	str := func(s string, set bool) string {
		switch {
		case !set:
			return "-"
		case s == "":
			return "(empty)"
		}
		return s
	}
	boolean := func(b bool) string {
		if b {
			return "T"
		}
		return "F"
	}
	vec := func(v []string) string {
		switch {
		case v == nil:
			return "-"
		case len(v) == 0:
			return "(empty)"
		}
		return strings.Join(v, ",")
	}
	switch field {
	case "id.orig_h":
		return r.ID.OrigH.String()
	case "id.orig_p":
		return fmt.Sprint(r.ID.OrigP)
	case "id.resp_h":
		return r.ID.RespH.String()
	case "id.resp_p":
		return fmt.Sprint(r.ID.RespP)
	case "version":
		return str(r.Version, r.Version != "")
	case "cipher":
		return str(r.Cipher, r.Cipher != "")
	case "curve":
		return str(r.Curve, r.Curve != "")
	case "server_name":
		return str(r.ServerName, r.HasServerName)
	case "resumed":
		return boolean(r.Resumed)
	case "last_alert":
		return str(r.LastAlert, r.LastAlert != "")
	case "next_protocol":
		return str(r.NextProtocol, r.HasNextProtocol)
	case "established":
		return boolean(r.Established)
	case "ssl_history":
		return str(r.History, true)
	case "cert_chain_fps":
		return vec(r.CertChainFPs)
	case "client_cert_chain_fps":
		return vec(r.ClientCertChainFPs)
	case "subject":
		return str(r.Subject, r.HasSubject)
	case "issuer":
		return str(r.Issuer, r.HasSubject)
	case "client_subject":
		return str(r.ClientSubject, r.HasClientSubject)
	case "client_issuer":
		return str(r.ClientIssuer, r.HasClientSubject)
	case "sni_matches_cert":
		switch r.SNIMatchesCert {
		case event.True:
			return "T"
		case event.False:
			return "F"
		}
		return "-"
	}
	return "?"
}

// compareWithZeek compares records with a Zeek ssl.log, field by field
// (ts and uid excepted, and fields weir does not write), matching rows by
// connection. It returns the disagreements, sorted.
func compareWithZeek(recs []*event.TLS, ref *zeekLog) (diffs []string, compared int) {
	byConn := map[string]*event.TLS{}
	key := func(oh, op, rh, rp string) string { return oh + ":" + op + ">" + rh + ":" + rp }
	for _, r := range recs {
		byConn[key(r.ID.OrigH.String(), fmt.Sprint(r.ID.OrigP), r.ID.RespH.String(), fmt.Sprint(r.ID.RespP))] = r
	}
	col := map[string]int{}
	for i, f := range ref.fields {
		col[f] = i
	}
	for _, row := range ref.rows {
		get := func(f string) string { return row[col[f]] }
		k := key(get("id.orig_h"), get("id.orig_p"), get("id.resp_h"), get("id.resp_p"))
		r := byConn[k]
		if r == nil {
			diffs = append(diffs, k+": no record")
			continue
		}
		delete(byConn, k)
		for _, f := range ref.fields {
			if f == "ts" || f == "uid" || zeekValue(r, f) == "?" {
				continue
			}
			compared++
			if got, want := zeekValue(r, f), get(f); got != want {
				diffs = append(diffs, fmt.Sprintf("%s: %s = %q, Zeek %q", k, f, got, want))
			}
		}
	}
	for k := range byConn {
		diffs = append(diffs, k+": record Zeek does not have")
	}
	sort.Strings(diffs)
	return diffs, compared
}
