package live_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/afpacket"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/live/livetest"
	"github.com/weirnet/weir/sources/pcaplive"
)

func TestMain(m *testing.M) { livetest.Main(m) }

// Both ends of a veth pair captured at once and merged: every frame
// appears on both (outgoing on one, incoming on the other), in timestamp
// order; with duplicate suppression each appears once, the copy seen
// second being dropped and counted.
func TestMergeBothEnds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dedup bool
		pcapB bool // B's end through libpcap: the two kinds of source mixed
	}{{"all", false, false}, {"dedup", true, false}, {"dedup-pcaplive", true, true}} {
		dedup := tc.dedup
		t.Run(tc.name, func(t *testing.T) {
			p := livetest.NewPair(t, "merge")
			livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
			const filter = "udp port 9000 or icmp"
			var srcs []live.Waiter
			a, err := afpacket.Open(afpacket.Config{Iface: p.IfA, Netns: p.PathA(), NumBlocks: 8, Filter: filter})
			if err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, a)
			if tc.pcapB {
				b, err := pcaplive.Open(pcaplive.Config{Iface: p.IfB, Netns: p.PathB(), Filter: filter, IfaceID: 1})
				if errors.Is(err, pcaplive.ErrUnsupported) {
					t.Skip(err)
				}
				if err != nil {
					t.Fatal(err)
				}
				srcs = append(srcs, b)
			} else {
				b, err := afpacket.Open(afpacket.Config{Iface: p.IfB, Netns: p.PathB(), NumBlocks: 8, Filter: filter, IfaceID: 1})
				if err != nil {
					t.Fatal(err)
				}
				srcs = append(srcs, b)
			}
			m, err := live.NewMerger(srcs, live.Config{Dedup: dedup})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			type got struct {
				ts  int64
				src int
				udp bool
				seq uint32
			}
			frames := make(chan []got, 1)
			stop := make(chan struct{})
			go func() {
				var out []got
				var f sources.Frame
				stopping := false
				for {
					err := m.Next(&f)
					if errors.Is(err, live.ErrIdle) {
						if stopping {
							break
						}
						select {
						case <-stop:
							stopping = true
						default:
						}
						continue
					}
					if err != nil {
						t.Error(err)
						break
					}
					g := got{ts: f.TS, src: f.Source}
					if g.udp = f.Data[23] == 17; g.udp {
						g.seq = binary.BigEndian.Uint32(f.Data[42:])
					}
					out = append(out, g)
				}
				frames <- out
			}()
			const count = 500
			livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, 200, 50000)
			livetest.MustIn(t, p.NsB, "ping", "-c", "3", "-i", "0.01", "-q", livetest.A4)
			time.Sleep(50 * time.Millisecond)
			close(stop)
			out := <-frames

			want := 2 * (count + 6)
			if dedup {
				want = count + 6
			}
			if len(out) != want {
				t.Fatalf("%d frames, want %d", len(out), want)
			}
			for i := 1; i < len(out); i++ {
				if out[i].ts < out[i-1].ts {
					t.Fatalf("frame %d: timestamp %d before %d", i, out[i].ts, out[i-1].ts)
				}
			}
			st := m.Stats()
			if st.Late != 0 {
				t.Errorf("%d late frames", st.Late)
			}
			if dedup {
				// Datagrams and requests from A are seen first on A's end;
				// replies from B first on B's.
				if st.Duplicates[1] != count+3 || st.Duplicates[0] != 3 {
					t.Errorf("duplicates dropped %v, want [3 %d]", st.Duplicates, count+3)
				}
				var n uint32
				for _, g := range out {
					if !g.udp {
						continue
					}
					if g.seq != n || g.src != 0 {
						t.Fatalf("datagram %d from source %d where %d from source 0 was due", g.seq, g.src, n)
					}
					n++
				}
			} else if st.Frames[0] != count+6 || st.Frames[1] != count+6 {
				t.Errorf("frames per source %v", st.Frames)
			}
			for _, cs := range m.CaptureStats() {
				if cs.Kernel != count+6 || cs.Dropped != 0 {
					t.Errorf("capture stats %+v", cs)
				}
			}
			t.Logf("merge stats %+v", st)
		})
	}
}
