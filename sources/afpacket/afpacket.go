// Package afpacket captures frames from a Linux network interface through
// an AF_PACKET socket with a TPACKET_V3 receive ring shared with the kernel.
//
// The kernel writes frames into fixed-size blocks of a memory-mapped ring
// and hands a block over when it is full or when the block timeout
// expires; Next returns the frames of a block one by one, pointing into the
// ring (no copy, no allocation), and gives the block back to the kernel
// when the caller asks for the frame after its last one. A tcpdump-syntax
// filter runs in the kernel (SO_ATTACH_FILTER), so frames it rejects cost
// no copy and never reach the ring; the snap length is applied there too.
//
// Ownership: Frame.Data points into the ring and stays valid until the next
// Next, NextWait or Close on the same Source. Its capacity is clipped, so an
// append copies.
//
// Privileges: opening needs CAP_NET_RAW (root, or file capabilities on the
// binary). Once every Source is open, DropPrivileges switches the process
// to an unprivileged user, keeping CAP_NET_RAW on one locked thread if
// asked, so that an interface that is deleted and comes back can still be
// reopened.
//
// See README.md for the options, what the counters mean and how to size
// the ring.
package afpacket

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/net/bpf"
)

// Defaults for the zero values of Config.
const (
	DefaultBlockSize    = 256 << 10 // 256 KiB: a block goes back to the kernel as soon as it is read
	DefaultNumBlocks    = 128       // with DefaultBlockSize: a 32 MiB ring
	DefaultFrameSize    = 2048
	DefaultSnaplen      = 262144
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultIdleTimeout  = 100 * time.Millisecond
	DefaultReopenMin    = 100 * time.Millisecond
	DefaultReopenMax    = 5 * time.Second
)

// FanoutMode is how the kernel spreads an interface's frames over the
// sockets of one fanout group (PACKET_FANOUT).
type FanoutMode int

const (
	FanoutNone FanoutMode = iota // no fanout: this socket sees every frame
	// FanoutHash sends both directions of a flow to the same socket (the
	// kernel's symmetric flow hash), with IP fragments reassembled first
	// so that they follow their flow (PACKET_FANOUT_FLAG_DEFRAG).
	FanoutHash
	FanoutLB  // round robin: for stateless consumers only
	FanoutCPU // by the CPU that received the frame
)

func (m FanoutMode) String() string {
	switch m {
	case FanoutNone:
		return "none"
	case FanoutHash:
		return "hash"
	case FanoutLB:
		return "lb"
	case FanoutCPU:
		return "cpu"
	}
	return fmt.Sprintf("FanoutMode(%d)", int(m))
}

// Config configures a Source. The zero value of each field takes the
// default named beside it.
type Config struct {
	// Iface is the interface name ("eth0"). Required.
	Iface string
	// Netns, if set, is the path of a network namespace (as under
	// /var/run/netns/) in which Iface lives; the socket is opened there.
	// Opening a socket in another namespace needs CAP_SYS_ADMIN.
	Netns string

	// The ring: NumBlocks blocks of BlockSize bytes. BlockSize must be a
	// power of two and a multiple of the page size; a frame (with its
	// headers) never spans blocks, so the snap length is at most
	// BlockSize-160. FrameSize is validated by the kernel (a multiple of 16
	// dividing BlockSize) but TPACKET_V3 packs frames of any size into a
	// block, so it does not limit what is captured.
	BlockSize int // DefaultBlockSize
	NumBlocks int // DefaultNumBlocks
	FrameSize int // DefaultFrameSize

	// Snaplen is the most bytes kept of each frame; the rest is not
	// copied, and Frame.WireLen tells the length on the wire.
	Snaplen int // DefaultSnaplen, reduced to what a block can hold

	// Promisc puts the interface in promiscuous mode while the socket is
	// open (the kernel counts users, and undoes it when the socket
	// closes). tcpdump's default; a sensor on a SPAN port needs it.
	Promisc bool

	// Filter is a tcpdump expression, compiled with libpcap (sources/bpf)
	// and run in the kernel. Program, if not nil, is a compiled program
	// used instead (Filter then only names it in messages).
	Filter  string
	Program []bpf.RawInstruction

	// IgnoreOutgoing drops frames this host sends (PACKET_IGNORE_OUTGOING,
	// Linux 4.20+). On the loopback interface outgoing frames are always
	// skipped, as libpcap does, since each is also seen incoming.
	IgnoreOutgoing bool

	// Fanout joins a fanout group: the sockets of all processes that open
	// the same interface with the same FanoutGroup share its frames.
	Fanout      FanoutMode
	FanoutGroup uint16

	// BlockTimeout is how long the kernel waits before handing over a
	// block that is not full: the latency of a quiet link, and the bound a
	// live.Merger's window must exceed.
	BlockTimeout time.Duration // DefaultBlockTimeout; millisecond resolution
	// IdleTimeout is how long Next waits for a frame before it returns
	// live.ErrIdle.
	IdleTimeout time.Duration // DefaultIdleTimeout

	// Reopen keeps the Source alive when its interface is deleted: Next
	// returns live.ErrIdle while it tries to open the interface again by
	// name, waiting ReopenMin, then twice as long each time up to
	// ReopenMax. Without it, a deleted interface ends the Source with an
	// error wrapping ErrInterfaceGone. An interface that only goes down
	// and up again needs no reopening: the socket stays bound to it.
	Reopen    bool
	ReopenMin time.Duration // DefaultReopenMin
	ReopenMax time.Duration // DefaultReopenMax

	// Iface number to put in Frame.Iface (for example the position of
	// this interface on the command line).
	IfaceID int

	// OnEvent, if set, is told when the interface goes down, comes back
	// up, disappears, is reopened, or fails to reopen. It is called on the
	// goroutine that calls Next and must not call the Source.
	OnEvent func(Event)
}

// EventKind says what happened to an interface.
type EventKind int

const (
	EventDown         EventKind = iota + 1 // the interface went down; the socket waits for it
	EventUp                                // it is up again (or a frame came after EventDown)
	EventGone                              // it was deleted; Err says how it was noticed
	EventReopened                          // it was opened again after EventGone
	EventReopenFailed                      // an attempt to reopen failed; Err says why, Retry when the next is
	EventFilter                            // a new filter (Refilter) is in place, or with Err, could not be attached
)

func (k EventKind) String() string {
	switch k {
	case EventDown:
		return "down"
	case EventUp:
		return "up"
	case EventGone:
		return "gone"
	case EventReopened:
		return "reopened"
	case EventReopenFailed:
		return "reopen failed"
	case EventFilter:
		return "filter"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is a change in the state of the captured interface.
type Event struct {
	Iface string
	Kind  EventKind
	Err   error
	Retry time.Duration // for EventReopenFailed and EventGone with Reopen: the wait before the next attempt
}

func (e Event) String() string {
	s := "afpacket: " + e.Iface + ": " + e.Kind.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Retry > 0 {
		s += fmt.Sprintf(" (retrying in %v)", e.Retry)
	}
	return s
}

// ErrInterfaceGone is wrapped by the error that ends a Source (without
// Reopen) whose interface was deleted.
var ErrInterfaceGone = errors.New("interface is gone")

// Error is a failure to open or read an interface.
type Error struct {
	Iface string
	Op    string // what was being done: "socket", "setsockopt PACKET_RX_RING", "mmap", "read", ...
	Err   error
}

func (e *Error) Error() string { return "afpacket: " + e.Iface + ": " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Stats are the counters of one Source. The kernel's are those of
// PACKET_STATISTICS, which resets them on every read; the Source adds them
// up, across reopenings too.
type Stats struct {
	Packets     uint64 // tp_packets: frames the kernel filter accepted, dropped ones included
	Drops       uint64 // tp_drops: accepted but dropped because the ring was full
	FreezeQueue uint64 // tp_freeze_q_cnt: times the ring was found full
	Received    uint64 // frames Next returned
	Cut         uint64 // of those, frames shorter than on the wire (cut by the snap length)
	Filtered    uint64 // VLAN-tagged frames the filter rejected after the kernel (see README)
	Reopens     uint64 // times the interface was opened again
	Down        bool   // the interface is down or gone now
}
