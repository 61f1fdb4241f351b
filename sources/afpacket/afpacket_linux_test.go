package afpacket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/live/livetest"
)

func TestMain(m *testing.M) { livetest.Main(m) }

// rec is a captured frame, copied.
type rec struct {
	ts      int64
	data    []byte
	wirelen int
}

// capture reads src on a goroutine until stop is closed and the source has
// been idle once after it, and returns what it read.
type capture struct {
	src  *Source
	mu   sync.Mutex
	recs []rec
	err  error
	done chan struct{}
	stop chan struct{}
}

func startCapture(t *testing.T, src *Source) *capture {
	t.Helper()
	c := &capture{src: src, done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(c.done)
		var f sources.Frame
		stopping := false
		for {
			err := src.NextWait(&f, 50*time.Millisecond)
			switch {
			case err == nil:
				c.mu.Lock()
				c.recs = append(c.recs, rec{f.TS, bytes.Clone(f.Data), f.WireLen})
				c.mu.Unlock()
				continue
			case errors.Is(err, live.ErrIdle):
				if stopping {
					return
				}
			default:
				c.err = err
				return
			}
			select {
			case <-c.stop:
				stopping = true
			default:
			}
		}
	}()
	return c
}

// wait stops the capture once the kernel has handed over everything (a
// block timeout) and returns the frames.
func (c *capture) wait(t *testing.T) []rec {
	t.Helper()
	time.Sleep(3 * c.src.Latency())
	close(c.stop)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not stop")
	}
	if c.err != nil {
		t.Fatalf("capture on %s: %v", c.src.Name(), c.err)
	}
	return c.recs
}

func open(t *testing.T, cfg Config) *Source {
	t.Helper()
	if cfg.NumBlocks == 0 {
		cfg.NumBlocks = 8
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// udpFrames checks that recs are count UDP frames carrying payloads of
// size bytes numbered 0..count-1 in order, and returns nothing.
func checkUDP(t *testing.T, where string, recs []rec, count, size int) {
	t.Helper()
	if len(recs) != count {
		t.Fatalf("%s: %d frames, want %d", where, len(recs), count)
	}
	wire := 14 + 20 + 8 + size
	for i, r := range recs {
		if r.wirelen != wire || len(r.data) != wire {
			t.Fatalf("%s: frame %d: %d bytes captured, %d on the wire, want %d", where, i, len(r.data), r.wirelen, wire)
		}
		if n := binary.BigEndian.Uint32(r.data[42:]); n != uint32(i) {
			t.Fatalf("%s: frame %d carries datagram %d", where, i, n)
		}
		if i > 0 && r.ts < recs[i-1].ts {
			t.Fatalf("%s: frame %d: timestamp %d before the previous %d", where, i, r.ts, recs[i-1].ts)
		}
	}
}

// Both ends of the pair at once: every datagram once on each, byte for
// byte the same, counted by the kernel, nothing dropped.
func TestCaptureBothEnds(t *testing.T) {
	p := livetest.NewPair(t, "both")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "udp port 9000", IfaceID: 1})
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000", IfaceID: 2})
	if a.LinkType() != sources.LinkEthernet {
		t.Fatalf("link type %d", a.LinkType())
	}
	ca, cb := startCapture(t, a), startCapture(t, b)
	const count, size = 300, 100
	if n := livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, size, 20000); n != count {
		t.Fatalf("sent %d", n)
	}
	ra, rb := ca.wait(t), cb.wait(t)
	checkUDP(t, p.IfA, ra, count, size)
	checkUDP(t, p.IfB, rb, count, size)
	for i := range ra {
		if !bytes.Equal(ra[i].data, rb[i].data) {
			t.Fatalf("frame %d differs between the two ends", i)
		}
		if d := rb[i].ts - ra[i].ts; d < 0 || d > int64(time.Second) {
			t.Errorf("frame %d: seen on %s %v after %s", i, p.IfB, time.Duration(d), p.IfA)
		}
	}
	for _, s := range []*Source{a, b} {
		st := s.Stats()
		if st.Packets != count || st.Drops != 0 || st.Received != count || st.Down {
			t.Errorf("%s: stats %+v, want %d packets, none dropped", s.Name(), st, count)
		}
		cs := s.CaptureStats()
		if cs.Kernel != count || cs.Received != count || cs.Name != s.Name() {
			t.Errorf("%s: capture stats %+v", s.Name(), cs)
		}
	}
}

// The filter runs in the kernel: frames it rejects are not even counted
// by PACKET_STATISTICS, and never reach Next.
func TestKernelFilter(t *testing.T) {
	p := livetest.NewPair(t, "filt")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "icmp"})
	ca := startCapture(t, a)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 100, 50, 0)
	livetest.MustIn(t, p.NsA, "ping", "-c", "5", "-i", "0.01", "-q", livetest.B4)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 100, 50, 0)
	recs := ca.wait(t)
	if len(recs) != 10 {
		t.Fatalf("%d frames, want the 10 of ping", len(recs))
	}
	for i, r := range recs {
		if r.data[23] != 1 { // IPv4 protocol
			t.Fatalf("frame %d is not ICMP: % x", i, r.data[:34])
		}
	}
	if st := a.Stats(); st.Packets != 10 {
		t.Fatalf("kernel counted %d frames, want only the 10 the filter accepted", st.Packets)
	}
}

// Refilter swaps the kernel filter of a running capture (a sensor's
// SIGHUP): what it passes changes from the next frame on; a bad expression
// is refused and the running filter stays.
func TestRefilter(t *testing.T) {
	p := livetest.NewPair(t, "refi")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9001")
	var events []Event
	var mu sync.Mutex
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "udp dst port 9000", IdleTimeout: 20 * time.Millisecond,
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	ca := startCapture(t, a)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 20, 50, 0)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9001", 30, 50, 0)
	if _, err := a.Refilter("udp dst port 9001 and"); err == nil {
		t.Fatal("a bad expression was accepted")
	}
	apply, err := a.Refilter("udp dst port 9001")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * a.Latency()) // the first traffic is in the ring under the old filter
	if err := apply(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the capture goroutine attaches it within the idle timeout
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n > 0 {
			break
		}
		if i == 500 {
			t.Fatal("the new filter was never attached")
		}
		time.Sleep(2 * time.Millisecond)
	}
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 20, 50, 0)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9001", 30, 50, 0)
	recs := ca.wait(t)
	var ports []int
	for _, r := range recs {
		ports = append(ports, int(binary.BigEndian.Uint16(r.data[36:])))
	}
	if len(recs) != 50 {
		t.Fatalf("%d frames, want 20 to port 9000 then 30 to 9001: %v", len(recs), ports)
	}
	for i, port := range ports {
		if want := map[bool]int{true: 9000, false: 9001}[i < 20]; port != want {
			t.Fatalf("frame %d to port %d, want %d: %v", i, port, want, ports)
		}
	}
	if events[0].Kind != EventFilter || events[0].Err != nil {
		t.Errorf("event %v, want a filter change without error", events[0])
	}
}

// Frames longer than the snap length are cut in the kernel and keep their
// length on the wire.
func TestSnaplen(t *testing.T) {
	p := livetest.NewPair(t, "snap")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Snaplen: 64, Filter: "udp"})
	if b.Snaplen() != 64 {
		t.Fatalf("snaplen %d", b.Snaplen())
	}
	cb := startCapture(t, b)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 20, 1000, 0)
	recs := cb.wait(t)
	if len(recs) != 20 {
		t.Fatalf("%d frames", len(recs))
	}
	for _, r := range recs {
		if len(r.data) != 64 || r.wirelen != 14+20+8+1000 {
			t.Fatalf("captured %d of %d bytes, want 64 of %d", len(r.data), r.wirelen, 14+20+8+1000)
		}
	}
	if cs := b.CaptureStats(); cs.Cut != 20 {
		t.Errorf("%d frames counted as cut by the snap length, want 20", cs.Cut)
	}
}

// A VLAN tag, which Linux takes out of the frame before packet sockets see
// it, is put back, and filters about it work as with tcpdump. The tagged
// frames are written to the A end by a packet socket (no 8021q module
// needed) and captured on the B end, where the kernel strips the tag.
func TestVLAN(t *testing.T) {
	p := livetest.NewPair(t, "vlan")
	tagged := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "vlan 7 and icmp"})
	plain := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "icmp"})
	short := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "vlan", Snaplen: 20})
	ct, cp, cs := startCapture(t, tagged), startCapture(t, plain), startCapture(t, short)
	var frames [][]byte
	for i, vid := range []uint16{7, 7, 8, 7} {
		frames = append(frames, vlanICMP(t, p, vid, byte(i)))
	}
	inject(t, p.PathA(), p.IfA, frames...)
	rt, rp, rs := ct.wait(t), cp.wait(t), cs.wait(t)
	if len(rt) != 3 {
		t.Fatalf("vlan 7 and icmp: %d frames, want 3", len(rt))
	}
	for i, r := range rt {
		want := frames[[]int{0, 1, 3}[i]]
		if !bytes.Equal(r.data, want) || r.wirelen != len(want) {
			t.Fatalf("frame %d: got\n% x\nwant\n% x", i, r.data, want)
		}
	}
	if len(rp) != 0 {
		t.Fatalf(`"icmp" matched %d VLAN-tagged frames; tcpdump's semantics say none`, len(rp))
	}
	if st := plain.Stats(); st.Filtered != 4 {
		t.Errorf("filtered after the kernel: %d, want 4", st.Filtered)
	}
	if len(rs) != 4 {
		t.Fatalf("vlan, snaplen 20: %d frames", len(rs))
	}
	for i, r := range rs {
		if !bytes.Equal(r.data, frames[i][:20]) || r.wirelen != len(frames[i]) {
			t.Fatalf("frame %d with snaplen 20: % x (%d on the wire)", i, r.data, r.wirelen)
		}
	}
}

// vlanICMP is an 802.1Q-tagged ICMP echo request from A to B.
func vlanICMP(t *testing.T, p *livetest.Pair, vid uint16, id byte) []byte {
	t.Helper()
	dst, err1 := net.ParseMAC(p.MacB)
	src, err2 := net.ParseMAC(p.MacA)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	b := append(append([]byte{}, dst...), src...)
	b = binary.BigEndian.AppendUint16(b, 0x8100)
	b = binary.BigEndian.AppendUint16(b, vid)
	b = binary.BigEndian.AppendUint16(b, 0x0800)
	ip := []byte{0x45, 0, 0, 28, 0, byte(id), 0, 0, 64, 1, 0, 0, 198, 18, 1, 1, 198, 18, 1, 2}
	icmp := []byte{8, 0, 0, 0, 0, 1, 0, id}
	return append(append(b, ip...), icmp...)
}

// inject writes frames to iface in the namespace at netns.
func inject(t *testing.T, netns, iface string, frames ...[]byte) {
	t.Helper()
	fd, err := openSocket(netns)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, _ := unix.NewIfreq(iface)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		t.Fatal(err)
	}
	sa := &unix.SockaddrLinklayer{Ifindex: int(ifr.Uint32())}
	for _, f := range frames {
		if err := unix.Sendto(fd, f, 0, sa); err != nil {
			t.Fatalf("inject: %v", err)
		}
	}
}

func TestIdleAndClose(t *testing.T) {
	p := livetest.NewPair(t, "idle")
	// The filter keeps out the MLD reports IPv6 sends when a link comes up.
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), IdleTimeout: 30 * time.Millisecond, Filter: "udp port 1"})
	var f sources.Frame
	before := time.Now().UnixNano()
	start := time.Now()
	if err := a.Next(&f); !errors.Is(err, live.ErrIdle) {
		t.Fatalf("Next on a quiet link: %v, want ErrIdle", err)
	}
	if el := time.Since(start); el < 25*time.Millisecond || el > time.Second {
		t.Errorf("idle after %v, want about 30ms", el)
	}
	if f.TS < before || f.TS > time.Now().UnixNano() || f.Data != nil {
		t.Errorf("idle frame %+v: TS should be the wall clock", f)
	}
	if err := a.NextWait(&f, 0); !errors.Is(err, live.ErrIdle) {
		t.Fatalf("NextWait(0): %v", err)
	}

	// Close wakes a Next that would wait for a minute.
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 1"})
	res := make(chan error, 1)
	go func() {
		var f sources.Frame
		res <- b.NextWait(&f, time.Minute)
	}()
	time.Sleep(50 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-res:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v, want io.EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Next")
	}
	if err := b.Next(&f); err != io.EOF {
		t.Fatalf("Next after Close: %v", err)
	}
	b.Stats() // still readable
}

// An interface deleted under the capture: without Reopen the source ends
// with a clear error; with it, the source waits, reopens the new interface
// of the same name and goes on.
func TestInterfaceDeleted(t *testing.T) {
	p := livetest.NewPair(t, "gone")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	once := open(t, Config{Iface: p.IfB, Netns: p.PathB(), IdleTimeout: 20 * time.Millisecond, Filter: "udp port 9000"})
	var mu sync.Mutex
	var events []Event
	again := open(t, Config{Iface: p.IfB, Netns: p.PathB(), IdleTimeout: 20 * time.Millisecond,
		Reopen: true, ReopenMin: 20 * time.Millisecond, ReopenMax: 50 * time.Millisecond, Filter: "udp port 9000",
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	var f sources.Frame
	if err := once.Next(&f); !errors.Is(err, live.ErrIdle) {
		t.Fatal(err)
	}
	livetest.Must(t, "ip", "-n", p.NsA, "link", "del", p.IfA) // takes its peer along

	var err error
	for i := 0; i < 100; i++ {
		if err = once.Next(&f); !errors.Is(err, live.ErrIdle) {
			break
		}
	}
	var ae *Error
	if !errors.Is(err, ErrInterfaceGone) || !errors.As(err, &ae) || ae.Iface != p.IfB {
		t.Fatalf("Next after the interface was deleted: %v, want an *Error wrapping ErrInterfaceGone", err)
	}
	t.Logf("without Reopen: %v", err)

	for i := 0; i < 5; i++ {
		if err := again.Next(&f); !errors.Is(err, live.ErrIdle) {
			t.Fatalf("with Reopen, Next: %v, want ErrIdle", err)
		}
	}
	if !again.Stats().Down {
		t.Fatal("not reported down")
	}
	// The interface comes back, with another index.
	livetest.Must(t, "ip", "-n", p.NsA, "link", "add", p.IfA, "type", "veth", "peer", "name", p.IfB, "netns", p.NsB)
	livetest.Must(t, "ip", "-n", p.NsA, "addr", "add", livetest.A4+"/24", "dev", p.IfA)
	livetest.Must(t, "ip", "-n", p.NsB, "addr", "add", livetest.B4+"/24", "dev", p.IfB)
	livetest.Must(t, "ip", "-n", p.NsA, "link", "set", p.IfA, "up")
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "up")
	for i := 0; i < 50 && again.Stats().Reopens == 0; i++ {
		again.Next(&f)
	}
	if again.Stats().Reopens != 1 {
		t.Fatalf("not reopened: %+v", again.Stats())
	}
	c := startCapture(t, again)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 10, 10, 0)
	if recs := c.wait(t); len(recs) != 10 {
		t.Fatalf("after reopening: %d frames, want 10", len(recs))
	}
	mu.Lock()
	defer mu.Unlock()
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind.String())
	}
	if len(kinds) < 2 || kinds[0] != "gone" || kinds[len(kinds)-1] != "reopened" {
		t.Fatalf("events %q, want gone ... reopened", kinds)
	}
	t.Logf("events: %v", events)
}

// Deleting an interface takes it down first, and the socket hears only of
// that: an interface seen down and then deleted, and a new one of the same
// name brought up, must be reopened, not taken for the old one back up
// (the socket stays bound to the old index and would capture nothing).
func TestInterfaceDownThenDeleted(t *testing.T) {
	p := livetest.NewPair(t, "dndel")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	var mu sync.Mutex
	var kinds []string
	src := open(t, Config{Iface: p.IfB, Netns: p.PathB(), IdleTimeout: 20 * time.Millisecond,
		Reopen: true, ReopenMin: 20 * time.Millisecond, ReopenMax: 50 * time.Millisecond, Filter: "udp port 9000",
		OnEvent: func(e Event) { mu.Lock(); kinds = append(kinds, e.Kind.String()); mu.Unlock() }})
	var f sources.Frame
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "down")
	for i := 0; i < 100 && !src.Stats().Down; i++ {
		src.Next(&f)
	}
	if !src.Stats().Down {
		t.Fatal("not reported down")
	}
	livetest.Must(t, "ip", "-n", p.NsA, "link", "del", p.IfA) // takes its peer along
	livetest.Must(t, "ip", "-n", p.NsA, "link", "add", p.IfA, "type", "veth", "peer", "name", p.IfB, "netns", p.NsB)
	livetest.Must(t, "ip", "-n", p.NsA, "addr", "add", livetest.A4+"/24", "dev", p.IfA)
	livetest.Must(t, "ip", "-n", p.NsB, "addr", "add", livetest.B4+"/24", "dev", p.IfB)
	livetest.Must(t, "ip", "-n", p.NsA, "link", "set", p.IfA, "up")
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "up")
	for i := 0; i < 100 && src.Stats().Reopens == 0; i++ {
		src.Next(&f)
	}
	if src.Stats().Reopens != 1 {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the new interface was not reopened: %+v, events %q", src.Stats(), kinds)
	}
	c := startCapture(t, src)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 10, 10, 0)
	if recs := c.wait(t); len(recs) != 10 {
		t.Fatalf("after reopening: %d frames, want 10", len(recs))
	}
}

// Reading the ring allocates nothing.
func TestNextDoesNotAllocate(t *testing.T) {
	p := livetest.NewPair(t, "alloc")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp"})
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 600, 64, 0)
	time.Sleep(3 * b.Latency())
	var f sources.Frame
	if err := b.NextWait(&f, 2*time.Second); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	got := 0
	allocs := testing.AllocsPerRun(500, func() {
		if b.NextWait(&f, 100*time.Millisecond) == nil {
			got++
		}
	})
	if got != 501 {
		t.Fatalf("read %d frames, want 501", got)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no interface"},
		{Config{Iface: "x", BlockSize: 3000}, "power of two"},
		{Config{Iface: "x", FrameSize: 100}, "frame size"},
		{Config{Iface: "x", Snaplen: 8}, "snap length"},
		{Config{Iface: "x", Fanout: 9}, "fanout"},
	} {
		_, err := Open(tc.cfg)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("Open(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestNoSuchInterface(t *testing.T) {
	livetest.Require(t)
	_, err := Open(Config{Iface: "weirnosuch0"})
	var ae *Error
	if !errors.As(err, &ae) || ae.Op != "find interface" {
		t.Fatalf("Open of a missing interface: %v", err)
	}
	t.Log(err)
	_, err = Open(Config{Iface: "lo", Filter: "tcp prt 80"})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("syntax error")) {
		t.Fatalf("bad filter: %v", err)
	}
}

// IgnoreOutgoing keeps only what the interface receives; on loopback each
// packet is seen once, not once leaving and once arriving.
func TestDirectionAndLoopback(t *testing.T) {
	p := livetest.NewPair(t, "dir")
	in := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "icmp", IgnoreOutgoing: true})
	both := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "icmp"})
	lo := open(t, Config{Iface: "lo", Netns: p.PathA(), Filter: "icmp"})
	ci, cb, cl := startCapture(t, in), startCapture(t, both), startCapture(t, lo)
	livetest.MustIn(t, p.NsA, "ping", "-c", "4", "-i", "0.01", "-q", livetest.B4)
	livetest.MustIn(t, p.NsA, "ping", "-c", "3", "-i", "0.01", "-q", "127.0.0.1")
	ri, rb, rl := ci.wait(t), cb.wait(t), cl.wait(t)
	if len(rb) != 8 || len(ri) != 4 {
		t.Fatalf("%d frames both ways, %d incoming; want 8 and 4", len(rb), len(ri))
	}
	for _, r := range ri {
		if r.data[34] != 0 { // ICMP echo reply
			t.Fatalf("incoming only, but got ICMP type %d", r.data[34])
		}
	}
	if len(rl) != 6 {
		t.Fatalf("loopback: %d frames, want 6 (3 requests, 3 replies, each once)", len(rl))
	}
}

// An interface that goes down and up again keeps its socket: the source
// reports both changes and frames resume without reopening.
func TestInterfaceDownUp(t *testing.T) {
	p := livetest.NewPair(t, "downup")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	var mu sync.Mutex
	var kinds []EventKind
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000", IdleTimeout: 20 * time.Millisecond,
		OnEvent: func(e Event) { mu.Lock(); kinds = append(kinds, e.Kind); mu.Unlock() }})
	var f sources.Frame
	b.Next(&f)
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "down")
	for i := 0; i < 100 && !b.Stats().Down; i++ {
		if err := b.Next(&f); err != nil && !errors.Is(err, live.ErrIdle) {
			t.Fatalf("while down: %v", err)
		}
	}
	if !b.Stats().Down {
		t.Fatal("not reported down")
	}
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "up")
	for i := 0; i < 100 && b.Stats().Down; i++ {
		b.Next(&f)
	}
	for i := 0; i < 300; i++ { // the carrier and queue come back a little later
		if out := livetest.Must(t, "ip", "-n", p.NsB, "-o", "link", "show", p.IfB); strings.Contains(out, "state UP") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := startCapture(t, b)
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 10, 10, 0)
	if recs := c.wait(t); len(recs) != 10 {
		t.Fatalf("after down and up: %d frames, want 10", len(recs))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) != 2 || kinds[0] != EventDown || kinds[1] != EventUp || b.Stats().Reopens != 0 {
		t.Fatalf("events %v, reopens %d; want [down up], 0", kinds, b.Stats().Reopens)
	}
}
