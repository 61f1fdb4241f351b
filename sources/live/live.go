// Package live holds what live capture sources have in common, and merges
// several of them into one stream in timestamp order.
//
// A live source (sources/afpacket, sources/pcaplive) differs from a file in
// three ways that the sources.Source contract does not cover, and this
// package names them:
//
//   - It can be idle. Next waits at most the source's idle timeout and then
//     returns ErrIdle with Frame.TS set to the wall clock, so that the
//     engine can advance network time (timers) while the link is quiet, and
//     can notice a cancelled context.
//   - It can wait a chosen time: Waiter.NextWait, which the Merger uses to
//     poll one source without stalling the others.
//   - It counts what the kernel dropped: Statser.CaptureStats.
//
// The Merger (merge.go) orders frames of several live sources by timestamp
// within a bounded reordering window, without copying them, and optionally
// drops the second copy of a frame seen on two interfaces (dedup.go).
package live

import (
	"time"

	"github.com/weirnet/weir/sources"
)

// ErrIdle is returned by Next (and NextWait) of a live source when no frame
// arrived within its timeout. It is not an error of the source, which goes
// on: the caller calls Next again. With it, the frame holds no data and
// Frame.TS is the source's watermark: the wall clock, in nanoseconds since
// the epoch, at which the source found nothing to read. Network time may be
// advanced to it (a frame stamped a few milliseconds earlier may still come
// from a source that hands frames over in blocks; see each source's
// latency).
//
// Proposed for sources/source.go as sources.ErrIdle; once it is there, this
// becomes an alias of it.
var ErrIdle = sources.ErrIdle

// Waiter is a live source whose wait can be bounded per call.
type Waiter interface {
	sources.Source
	// NextWait is Next, waiting at most d for a frame; d <= 0 does not
	// wait at all. When nothing came it returns ErrIdle with f.TS set to
	// the wall clock (see ErrIdle). The ownership of f.Data is as for Next.
	NextWait(f *sources.Frame, d time.Duration) error
}

// CaptureStats are one interface's capture counters. The kernel's counters
// cover frames that its filter accepted; frames it rejected are counted
// nowhere.
//
// Proposed for sources/source.go as sources.CaptureStats, with Statser.
type CaptureStats struct {
	Name     string // interface
	Received uint64 // frames handed out by Next
	Kernel   uint64 // frames the kernel accepted for this capture, dropped ones included
	Dropped  uint64 // frames the kernel accepted but dropped for lack of buffer space
	IfDrops  uint64 // frames dropped by the interface or driver, where the source can tell (libpcap's ps_ifdrop); 0 otherwise
	Reopens  uint64 // times the interface was opened again after it disappeared
	Cut      uint64 // frames handed out shorter than on the wire (the snap length)
	Down     bool   // the interface is down or gone right now
}

// Statser is implemented by sources that can tell their capture counters.
// CaptureStats is safe to call from any goroutine, at any time, also while
// Next is blocked; after Close it returns the final counts.
type Statser interface {
	CaptureStats() CaptureStats
}

// Refilterer is a source whose filter can be replaced while it runs (a
// sensor's reload). Refilter checks expr and returns the function that
// puts it in place; a bad expression is an error and changes nothing.
type Refilterer interface {
	Refilter(expr string) (apply func() error, err error)
}
