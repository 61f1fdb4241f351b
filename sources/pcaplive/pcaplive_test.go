//go:build cgo && linux

package pcaplive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/live/livetest"
)

func TestMain(m *testing.M) { livetest.Main(m) }

func open(t *testing.T, cfg Config) *Source {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readAll reads s on a goroutine until stop is closed and s was idle after
// it.
func readAll(s *Source, stop <-chan struct{}) <-chan []livetest.Rec {
	out := make(chan []livetest.Rec, 1)
	go func() {
		var recs []livetest.Rec
		var f sources.Frame
		stopping := false
		for {
			err := s.NextWait(&f, 50*time.Millisecond)
			if err == nil {
				recs = append(recs, livetest.Rec{TS: f.TS, Data: bytes.Clone(f.Data), WireLen: f.WireLen})
				continue
			}
			if !errors.Is(err, live.ErrIdle) || stopping {
				break
			}
			select {
			case <-stop:
				stopping = true
			default:
			}
		}
		out <- recs
	}()
	return out
}

func TestCaptureBothEnds(t *testing.T) {
	p := livetest.NewPair(t, "pcap")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "udp port 9000"})
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000", Snaplen: 100})
	if a.LinkType() != sources.LinkEthernet || b.Snaplen() != 100 {
		t.Fatalf("link type %d, snaplen %d", a.LinkType(), b.Snaplen())
	}
	stop := make(chan struct{})
	ca, cb := readAll(a, stop), readAll(b, stop)
	const count, size = 300, 200
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, size, 20000)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	ra, rb := <-ca, <-cb
	if len(ra) != count || len(rb) != count {
		t.Fatalf("%d and %d frames, want %d", len(ra), len(rb), count)
	}
	for i := range ra {
		if n := binary.BigEndian.Uint32(ra[i].Data[42:]); n != uint32(i) || ra[i].WireLen != 42+size || len(ra[i].Data) != 42+size {
			t.Fatalf("%s frame %d: datagram %d, %d of %d bytes", p.IfA, i, n, len(ra[i].Data), ra[i].WireLen)
		}
		if !bytes.Equal(rb[i].Data, ra[i].Data[:100]) || rb[i].WireLen != 42+size {
			t.Fatalf("%s frame %d: not the first 100 bytes of the frame", p.IfB, i)
		}
		if i > 0 && ra[i].TS < ra[i-1].TS {
			t.Fatalf("timestamps go back at %d", i)
		}
	}
	for _, s := range []*Source{a, b} {
		if st := s.CaptureStats(); st.Kernel != count || st.Dropped != 0 || st.Received != count {
			t.Errorf("%s: %+v", s.Name(), st)
		}
	}
}

func TestAgainstTcpdump(t *testing.T) {
	p := livetest.NewPair(t, "pcapt")
	filter := "host 198.18.0.1 or host 2001:db8::1"
	stopDump := livetest.Tcpdump(t, p.NsB, p.IfB, filter)
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: filter})
	stop := make(chan struct{})
	cb := readAll(b, stop)
	livetest.Mixed(t, p)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	livetest.Compare(t, "pcaplive vs tcpdump", <-cb, livetest.ReadPcap(t, stopDump()), time.Millisecond)
}

func TestIdleCloseAndErrors(t *testing.T) {
	p := livetest.NewPair(t, "pcapi")
	a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: "udp port 1", IdleTimeout: 30 * time.Millisecond})
	var f sources.Frame
	start := time.Now()
	if err := a.Next(&f); !errors.Is(err, live.ErrIdle) || f.TS < start.UnixNano() {
		t.Fatalf("Next: %v, TS %d", err, f.TS)
	}
	if el := time.Since(start); el < 25*time.Millisecond || el > time.Second {
		t.Errorf("idle after %v", el)
	}
	res := make(chan error, 1)
	go func() {
		var f sources.Frame
		res <- a.NextWait(&f, time.Minute)
	}()
	time.Sleep(30 * time.Millisecond)
	a.Close()
	select {
	case err := <-res:
		if err != io.EOF {
			t.Fatalf("after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Next")
	}
	a.CaptureStats()

	_, err := Open(Config{Iface: "weirnosuch0"})
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("missing interface: %v", err)
	}
	t.Log(err)
	_, err = Open(Config{Iface: "lo", Filter: "tcp prt 80"})
	if !errors.As(err, &pe) || pe.Op != "filter" || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("bad filter: %v", err)
	}
	t.Log(err)
}

func TestNextDoesNotAllocate(t *testing.T) {
	p := livetest.NewPair(t, "pcapa")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	b := open(t, Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp"})
	livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 300, 64, 0)
	time.Sleep(20 * time.Millisecond)
	var f sources.Frame
	if err := b.NextWait(&f, 2*time.Second); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	got := 0
	allocs := testing.AllocsPerRun(200, func() {
		if b.NextWait(&f, 100*time.Millisecond) == nil {
			got++
		}
	})
	if got != 201 || allocs != 0 {
		t.Fatalf("%d frames, %v allocations per frame", got, allocs)
	}
}
