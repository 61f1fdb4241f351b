// Package pcaplive captures frames from a network interface with libpcap:
// the fallback for where AF_PACKET is unavailable (other systems than
// Linux, link types sources/afpacket does not handle, such as Linux's
// "any" device or PPP), and a reference to compare sources/afpacket with.
//
// The handle is opened with pcap_create and activated in immediate mode
// (a frame is handed over as soon as it arrives, as a live.Merger needs)
// with nanosecond timestamps; the filter is compiled by libpcap for that
// live handle and attached where libpcap puts it (the kernel, on Linux).
// The handle is non-blocking: Next reads with pcap_next_ex and, when
// nothing is ready, waits with poll(2) on pcap's selectable descriptor and
// on a pipe by which Close wakes it.
//
// Ownership: Frame.Data points into libpcap's buffer and stays valid until
// the next Next, NextWait or Close on the same Source. Reading allocates
// nothing per frame.
//
// Unlike sources/afpacket, a Source here does not reopen an interface
// that disappears: Next returns libpcap's error, and the source ends.
package pcaplive

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultSnaplen     = 262144
	DefaultBufferSize  = 32 << 20
	DefaultIdleTimeout = 100 * time.Millisecond
)

// Config configures a Source.
type Config struct {
	Iface string // the interface name, as tcpdump -i takes it ("any" too on Linux)
	// Netns, if set, is the path of a Linux network namespace (as under
	// /var/run/netns/) to open the interface in.
	Netns      string
	Snaplen    int  // DefaultSnaplen
	Promisc    bool // promiscuous mode, as tcpdump does unless -p
	Filter     string
	BufferSize int // the capture buffer in bytes (pcap_set_buffer_size); DefaultBufferSize
	// IdleTimeout is how long Next waits for a frame before it returns
	// live.ErrIdle.
	IdleTimeout time.Duration // DefaultIdleTimeout
	IfaceID     int           // the value put in Frame.Iface
}

// ErrUnsupported is returned by Open when weir was built without cgo (or
// for a system without libpcap support).
var ErrUnsupported = errors.New("pcaplive: weir was built without cgo, and live capture through libpcap needs it")

// Error is a failure reported by libpcap.
type Error struct {
	Iface string
	Op    string // "open", "activate", "filter", "read", ...
	Msg   string // libpcap's message
	Err   error  // the cause, when there is one besides the message
}

func (e *Error) Error() string {
	s := fmt.Sprintf("pcaplive: %s: %s: %s", e.Iface, e.Op, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
