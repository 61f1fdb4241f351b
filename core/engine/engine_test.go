package engine

import (
	"context"
	"encoding/binary"
	"io"
	"testing"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/sources"
)

// synSource yields n TCP SYNs from distinct source ports and addresses,
// 10 µs apart: n one-packet flows (a SYN flood).
type synSource struct {
	n, i  int
	frame [54]byte
}

func (s *synSource) Next(f *sources.Frame) error {
	if s.i >= s.n {
		return io.EOF
	}
	b := s.frame[:]
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	binary.BigEndian.PutUint32(ip[12:], 0xC6120000|uint32(s.i>>16)) // 198.18.x.x
	binary.BigEndian.PutUint32(ip[16:], 0xC613FFFE)
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], decode.Checksum(ip[:20]))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], uint16(1024+s.i%60000))
	binary.BigEndian.PutUint16(tcp[2:], 80)
	binary.BigEndian.PutUint32(tcp[4:], uint32(s.i))
	tcp[12], tcp[13] = 5<<4, decode.SYN
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	f.TS = 1_700_000_000_000_000_000 + int64(s.i)*10_000
	f.Data, f.WireLen, f.Link = b, len(b), sources.LinkEthernet
	s.i++
	return nil
}

// countPlugin counts ConnEnd events and remembers the highest uid count.
type countPlugin struct {
	ends   int
	states map[string]int
}

func (p *countPlugin) Name() string                { return "count" }
func (p *countPlugin) Subscriptions() []event.Kind { return []event.Kind{event.KindConnEnd} }
func (p *countPlugin) Open(int64) error            { return nil }
func (p *countPlugin) Close(int64) error           { return nil }
func (p *countPlugin) Handle(b []event.Event) error {
	for _, ev := range b {
		p.ends++
		p.states[ev.Conn.ConnState]++
	}
	return nil
}

// A flood of one-packet flows stays within the connection bound: the
// oldest connections are logged early and counted, none is lost.
func TestFloodBounded(t *testing.T) {
	const flows = 50000
	for _, workers := range []int{1, 3} {
		cc := conn.DefaultConfig()
		cc.MaxConns = 1000
		cc.TCPAttemptDelay = 1 << 62 // keep every SYN alive so only the bound can evict
		cc.TCPSYNTimeout = 1 << 62
		cc.UDPInactivity = 1 << 62
		p := &countPlugin{states: map[string]int{}}
		e := New(Config{Workers: workers, Conn: cc, Decode: decode.Config{}}, bus.New(p))
		if err := e.Run(context.Background(), &synSource{n: flows}); err != nil {
			t.Fatal(err)
		}
		st := e.Stats()
		if p.ends != flows || p.states["S0"] != flows {
			t.Errorf("workers=%d: %d connections logged (%v), want %d S0", workers, p.ends, p.states, flows)
		}
		if st.Conn.EvictedByLimit < uint64(flows-1000*workers) {
			t.Errorf("workers=%d: %d evictions, want at least %d", workers, st.Conn.EvictedByLimit, flows-1000*workers)
		}
	}
}

func BenchmarkEngineSYNFlood(b *testing.B) {
	cc := conn.DefaultConfig()
	p := &countPlugin{states: map[string]int{}}
	e := New(Config{Workers: 1, Conn: cc, Decode: decode.Config{}}, bus.New(p))
	b.ResetTimer()
	if err := e.Run(context.Background(), &synSource{n: b.N}); err != nil {
		b.Fatal(err)
	}
}

type rotPlugin struct {
	countPlugin
	rotations []int64
}

func (p *rotPlugin) Rotate(ts int64) (string, error) {
	p.rotations = append(p.rotations, ts)
	return "rotated", nil
}

// RotateNow (a sensor's SIGHUP) and RotateInterval both rotate between
// batches, at network time, and report the rotated files.
func TestRotation(t *testing.T) {
	p := &rotPlugin{countPlugin: countPlugin{states: map[string]int{}}}
	var reported int
	b := bus.New(p)
	b.OnRotate = func(paths []string) { reported += len(paths) }
	e := New(Config{Conn: conn.DefaultConfig(), EpochFrames: 1000, RotateInterval: 100_000_000}, b) // 100 ms
	e.RotateNow()
	if err := e.Run(context.Background(), &synSource{n: 50000}); err != nil { // 500 ms of traffic
		t.Fatal(err)
	}
	// One for RotateNow, then one per 100 ms boundary crossed (4 or 5).
	if len(p.rotations) < 5 || reported != len(p.rotations) {
		t.Fatalf("rotations at %v, reported %d", p.rotations, reported)
	}
	for _, ts := range p.rotations[1:] {
		if ts%100_000_000 != 0 {
			t.Errorf("interval rotation at %d, not on a boundary", ts)
		}
	}
}
