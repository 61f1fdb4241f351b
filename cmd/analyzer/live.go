package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/afpacket"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/pcaplive"
)

// openLive opens one capture per interface: an AF_PACKET ring where the
// kernel offers it, libpcap otherwise ("any", other platforms). The filter
// runs in the kernel. The sources are merged by time within a bounded
// reordering window.
// liveOptions are the capture settings of -i.
type liveOptions struct {
	filter      string
	promisc     bool
	dedup       bool
	snaplen     int    // 0: the source's default
	fanoutGroup uint16 // 0: no fanout; else a PACKET_FANOUT hash group shared with other weir processes
}

func openLive(ifaces []string, lo liveOptions, stderr io.Writer) (*live.Merger, error) {
	filter, promisc, dedup := lo.filter, lo.promisc, lo.dedup
	var ws []live.Waiter
	closeAll := func() {
		for _, w := range ws {
			w.Close()
		}
	}
	for i, name := range ifaces {
		var w live.Waiter
		var afErr error
		if name != "any" {
			ac := afpacket.Config{Iface: name, IfaceID: i, Promisc: promisc, Filter: filter, Reopen: true, Snaplen: lo.snaplen,
				OnEvent: func(ev afpacket.Event) { fmt.Fprintf(stderr, "analyzer: %v\n", ev) }}
			if lo.fanoutGroup != 0 {
				ac.Fanout, ac.FanoutGroup = afpacket.FanoutHash, lo.fanoutGroup
			}
			s, err := afpacket.Open(ac)
			if err == nil {
				w = s
			}
			afErr = err
		}
		if w == nil {
			s, err := pcaplive.Open(pcaplive.Config{Iface: name, IfaceID: i, Promisc: promisc, Filter: filter, Snaplen: lo.snaplen})
			if err != nil {
				closeAll()
				if afErr != nil {
					return nil, afErr // the primary path's reason is the useful one
				}
				return nil, err
			}
			w = s
		}
		ws = append(ws, w)
	}
	m, err := live.NewMerger(ws, live.Config{Dedup: dedup})
	if err != nil {
		closeAll()
		return nil, err
	}
	return m, nil
}

// chain reads the capture files to their end, then the live interfaces:
// with both -r and -i, the files are a backlog replayed before the sensor
// goes live, on one timeline.
type chain struct {
	files frameReader // may be nil
	live  frameReader // may be nil
}

type frameReader interface{ Next(f *sources.Frame) error }

func (c *chain) Next(f *sources.Frame) error {
	if c.files != nil {
		err := c.files.Next(f)
		if !errors.Is(err, io.EOF) {
			return err
		}
		c.files = nil
	}
	if c.live == nil {
		return io.EOF
	}
	return c.live.Next(f)
}

// liveTagged marks live frames so the engine's file filter skips them
// (the kernel already applied it).
type liveTagged struct{ m *live.Merger }

const liveMark = 1 << 30

func (l *liveTagged) Next(f *sources.Frame) error {
	err := l.m.Next(f)
	f.Source = liveMark
	return err
}

func fromLive(f *sources.Frame) bool { return f.Source == liveMark }
