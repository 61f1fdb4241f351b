// Package sources yields raw frames from capture files and interfaces.
//
// A Source hands out frames one at a time from a buffer it owns: the bytes
// in Frame.Data stay valid only until the next call to Next on the same
// Source. Callers that need to keep a frame copy it.
package sources

import "errors"

// ErrIdle is returned by live sources when no frame arrived within their
// idle timeout. It is not a failure: Frame.TS then holds the network time
// the source can vouch for (the wall clock), so timers still fire and logs
// still flush on a quiet link.
var ErrIdle = errors.New("sources: no frame within the idle timeout")

// Link types, as numbered by pcap's LINKTYPE_ registry.
const (
	LinkNull     uint32 = 0   // BSD loopback, host byte order family
	LinkEthernet uint32 = 1   // Ethernet II / 802.3
	LinkPPP      uint32 = 9   // PPP
	LinkRaw      uint32 = 101 // raw IPv4 or IPv6
	LinkRawOld   uint32 = 12  // DLT_RAW on OpenBSD / some writers
	LinkRawOld2  uint32 = 14  // DLT_RAW on other BSDs
	LinkLoop     uint32 = 108 // OpenBSD loopback, network byte order family
	LinkSLL      uint32 = 113 // Linux cooked v1
	LinkNFLOG    uint32 = 239 // Linux netfilter log
	LinkIPv4     uint32 = 228 // raw IPv4
	LinkIPv6     uint32 = 229 // raw IPv6
	LinkSLL2     uint32 = 276 // Linux cooked v2
)

// Frame is one captured frame.
type Frame struct {
	TS      int64  // capture time, nanoseconds since the Unix epoch
	Data    []byte // captured bytes; owned by the Source, valid until its next Next
	WireLen int    // length on the wire (>= len(Data))
	Link    uint32 // LINKTYPE_* of this frame
	Iface   int    // interface index within its source (pcapng IDB number; 0 otherwise)
	Source  int    // index of the source in the merge (set by the merger)
}

// Source is a stream of frames in capture order.
type Source interface {
	// Next fills f with the next frame. It returns io.EOF at a clean end.
	// Any other error is final for this source and names the file and
	// the packet number or byte offset where reading failed.
	Next(f *Frame) error
	// Name is the file path or interface name, for messages.
	Name() string
	Close() error
}

// Progresser is implemented by sources that know how far through their
// input they are (files): bytes consumed and total of the underlying file
// (compressed size for compressed files). Total is -1 when unknown.
type Progresser interface {
	Progress() (done, total int64)
}
