package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/weirnet/weir/core/bus"
	coreevent "github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/host"
	"github.com/weirnet/weir/sdk"
	"github.com/weirnet/weir/sdk/event"
)

var update = flag.Bool("update", false, "rewrite testdata/redis.golden.log")

// The test capture, made by testdata/capture.sh (real redis-server and
// redis-cli in network namespaces).
const (
	capturePath = "testdata/redis.pcap"
	goldenPath  = "testdata/redis.golden.log"
)

// flowKey is one direction of a TCP connection.
type flowKey struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
}

type half struct {
	isn     uint32
	synSeen bool
	next    uint64            // stream offset expected next
	pending map[uint64][]byte // out-of-order segments by offset
	fin     bool
}

type tcpConn struct {
	uid        string
	id         event.ConnID
	orig, resp half
	start      int64
}

// streamEvents reassembles the capture's TCP connections as weir's core
// does for a plugin subscribed to StreamData: in-order bytes per direction,
// with their stream offset, then a ConnEnd when both sides closed (or at
// the end of the capture). The capture is clean (taken on a veth pair):
// segments are in order or retransmitted, never lost.
func streamEvents(t testing.TB) (evs []event.Event, first, last int64) {
	f, err := os.Open(capturePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var eth layers.Ethernet
	var ip4 layers.IPv4
	var tcp layers.TCP
	var payload gopacket.Payload
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &tcp, &payload)
	parser.IgnoreUnsupported = true
	conns := map[flowKey]*tcpConn{}
	var decoded []gopacket.LayerType
	var seq uint64
	emit := func(ev event.Event) {
		seq++
		ev.Seq = seq
		evs = append(evs, ev)
	}
	end := func(c *tcpConn, ts int64) {
		emit(event.Event{Kind: event.KindConnEnd, Time: ts, Key: c.uid,
			Conn: &event.Conn{UID: c.uid, ID: c.id, Start: c.start, Duration: ts - c.start, ConnState: "SF"}})
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ts := ci.Timestamp.UnixNano()
		if first == 0 {
			first = ts
		}
		last = ts
		if err := parser.DecodeLayers(data, &decoded); err != nil || len(decoded) < 3 {
			continue
		}
		src, _ := netip.AddrFromSlice(ip4.SrcIP.To4())
		dst, _ := netip.AddrFromSlice(ip4.DstIP.To4())
		k := flowKey{src, dst, uint16(tcp.SrcPort), uint16(tcp.DstPort)}
		rk := flowKey{dst, src, uint16(tcp.DstPort), uint16(tcp.SrcPort)}
		c, isOrig := conns[k], true
		if c == nil {
			if c = conns[rk]; c != nil {
				isOrig = false
			}
		}
		if c == nil {
			if !tcp.SYN || tcp.ACK {
				continue // not seen from its start
			}
			h := fnv.New64a()
			fmt.Fprint(h, src, k.srcPort, dst, k.dstPort, ts)
			c = &tcpConn{uid: fmt.Sprintf("C%016x", h.Sum64()), start: ts,
				id: event.ConnID{OrigH: src, RespH: dst, OrigP: k.srcPort, RespP: k.dstPort, Proto: event.TransportTCP}}
			conns[k] = c
		}
		hf := &c.orig
		if !isOrig {
			hf = &c.resp
		}
		if tcp.SYN {
			hf.isn, hf.synSeen = tcp.Seq, true
			continue
		}
		if !hf.synSeen {
			continue
		}
		off := uint64(tcp.Seq - hf.isn - 1) // no stream here wraps 2^32
		if p := tcp.Payload; len(p) > 0 {
			if hf.pending == nil {
				hf.pending = map[uint64][]byte{}
			}
			hf.pending[off] = bytes.Clone(p)
			for {
				progressed := false
				for o, seg := range hf.pending {
					if o > hf.next {
						continue
					}
					delete(hf.pending, o)
					if o+uint64(len(seg)) > hf.next { // new bytes (a retransmission may overlap)
						b := seg[hf.next-o:]
						emit(event.Event{Kind: event.KindStreamData, Time: ts, Key: c.uid,
							Data: &event.Data{UID: c.uid, ID: c.id, IsOrig: isOrig, Seq: hf.next, Bytes: b}})
						hf.next += uint64(len(b))
					}
					progressed = true
				}
				if !progressed {
					break
				}
			}
		}
		if tcp.FIN {
			hf.fin = true
		}
		if c.orig.fin && c.resp.fin {
			end(c, ts)
			delete(conns, flowKey{c.id.OrigH, c.id.RespH, c.id.OrigP, c.id.RespP})
		}
	}
	var left []*tcpConn
	for _, c := range conns {
		left = append(left, c)
	}
	sort.Slice(left, func(i, j int) bool { return left[i].uid < left[j].uid })
	for _, c := range left {
		end(c, last)
	}
	return evs, first, last
}

// batches splits events into batches of n.
func batches[E any](evs []E, n int) [][]E {
	var out [][]E
	for i := 0; i < len(evs); i += n {
		out = append(out, evs[i:min(i+n, len(evs))])
	}
	return out
}

// TestGolden analyzes the capture in process (sdk.Run) and compares
// redis.log with the golden file.
func TestGolden(t *testing.T) {
	evs, first, last := streamEvents(t)
	dir := t.TempDir()
	err := sdk.Run("redis", &Analyzer{}, sdk.RunConfig{Logs: logs.Options{Dir: dir}, OpenTS: first, CloseTS: last},
		batches(evs, 16), serveOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("redis.log differs from %s:\n%s", goldenPath, got)
	}
	// Whatever the batching, the same log.
	dir2 := t.TempDir()
	if err := sdk.Run("redis", &Analyzer{}, sdk.RunConfig{Logs: logs.Options{Dir: dir2}, OpenTS: first, CloseTS: last},
		batches(evs, 1), serveOptions()...); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir2, "redis.log")); !bytes.Equal(again, want) {
		t.Fatal("redis.log depends on the batch size")
	}
}

// TestOutOfProcess builds the plugin, runs it as weir's core does (the
// plugin host, over gRPC) and gets the golden log.
func TestOutOfProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	bin := filepath.Join(t.TempDir(), "weir-redis")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	evs, first, last := streamEvents(t)
	dir := t.TempDir()
	p, err := host.Launch(host.Config{Name: "redis", Path: bin, Logs: logs.Options{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if ports, _ := p.DataSubscriptions(); len(ports) != 1 || ports[0] != 6379 {
		t.Errorf("subscribed to ports %v, want 6379", ports)
	}
	b := bus.New(p)
	if err := b.Open(first); err != nil {
		t.Fatal(err)
	}
	for _, batch := range batches(toCore(evs), 16) {
		if err := b.Deliver(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(last); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("out of process, redis.log differs from %s:\n%s", goldenPath, got)
	}
}

// toCore converts the SDK's events into the core's, which the core would
// have produced.
func toCore(evs []event.Event) []coreevent.Event {
	id := func(id event.ConnID) coreevent.ConnID {
		return coreevent.ConnID{OrigH: id.OrigH, RespH: id.RespH, OrigP: id.OrigP, RespP: id.RespP, Proto: coreevent.Transport(id.Proto)}
	}
	out := make([]coreevent.Event, len(evs))
	for i, ev := range evs {
		c := coreevent.Event{Kind: coreevent.Kind(ev.Kind), Time: ev.Time, Key: ev.Key, Seq: ev.Seq}
		switch {
		case ev.Data != nil:
			d := ev.Data
			c.Data = &coreevent.Data{UID: d.UID, ID: id(d.ID), IsOrig: d.IsOrig, Seq: d.Seq, Gap: d.Gap, Bytes: d.Bytes}
		case ev.Conn != nil:
			x := ev.Conn
			c.Conn = &coreevent.Conn{UID: x.UID, ID: id(x.ID), Start: x.Start, Duration: x.Duration, ConnState: x.ConnState}
		}
		out[i] = c
	}
	return out
}
