package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/weirnet/weir/internal/config"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/afpacket"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/pcaplive"
)

// openLive opens one capture per interface of c: an AF_PACKET ring where
// the kernel offers it, libpcap otherwise ("any", other platforms). The
// filter runs in the kernel. The sources are merged by time within a
// bounded reordering window.
func openLive(c config.Capture, filter string, stderr io.Writer) (*live.Merger, error) {
	var ws []live.Waiter
	closeAll := func() {
		for _, w := range ws {
			w.Close()
		}
	}
	for i, name := range c.Interfaces {
		var w live.Waiter
		var afErr error
		if name != "any" {
			ac := afpacket.Config{Iface: name, IfaceID: i, Promisc: c.Promisc, Filter: filter, Reopen: true, Snaplen: c.Snaplen,
				BlockSize: c.BlockSize, NumBlocks: c.BlockCount, BlockTimeout: c.BlockTimeout.Duration,
				OnEvent: func(ev afpacket.Event) { fmt.Fprintf(stderr, "analyzer: %v\n", ev) }}
			if c.FanoutGroup != 0 {
				ac.Fanout, ac.FanoutGroup = afpacket.FanoutHash, uint16(c.FanoutGroup)
			}
			s, err := afpacket.Open(ac)
			if err == nil {
				w = s
			}
			afErr = err
		}
		if w == nil {
			s, err := pcaplive.Open(pcaplive.Config{Iface: name, IfaceID: i, Promisc: c.Promisc, Filter: filter, Snaplen: c.Snaplen})
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
	m, err := live.NewMerger(ws, live.Config{Window: c.ReorderWindow.Duration, Dedup: c.Dedup, DedupWindow: c.DedupWindow.Duration})
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
