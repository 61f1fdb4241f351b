package conn

import (
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/core/flow"
)

// TCP endpoint states, numbered as Zeek's.
type tcpState uint8

const (
	tcpInactive tcpState = iota
	tcpSynSent
	tcpSynAckSent
	tcpPartial
	tcpEstablished
	tcpClosed
	tcpReset
)

// History bits, per endpoint (the responder's are shifted by 16), as Zeek's.
const (
	histSYN      = 0x1
	histSYNACK   = 0x2 // unused by TCP (H shares the SYN bit) but kept for parity
	histData     = 0x4
	histACK      = 0x8
	histFIN      = 0x10
	histRST      = 0x20
	histFINRST   = 0x40
	histMulti    = 0x80
	histUDPOrigD = 0x1
	histUDPRespD = 0x2
)

// endpoint is one side of a connection.
type endpoint struct {
	// TCP sequence tracking (Zeek's TCP_Endpoint).
	state, prevState                      tcpState
	startSeq, lastSeq, ackSeq             uint32
	seqWraps, ackWraps                    uint32
	finCnt, rstCnt                        uint32
	finSeq                                uint64 // relative
	didClose                              bool
	histLastSYN, histLastFIN, histLastRST uint64

	// Logarithmic history letters: counters and next thresholds.
	chkCnt, chkThresh   uint32
	rxmtCnt, rxmtThresh uint32
	win0Cnt, win0Thresh uint32
	gapCnt, gapThresh   uint32

	// UDP/ICMP/other: bytes of payload seen; -1 before the first packet.
	size int64

	pkts, ipBytes uint64

	rs reasm // gap accounting (and, later, stream reassembly)
}

func (e *endpoint) reset() {
	rs := e.rs
	rs.reset()
	*e = endpoint{chkThresh: 1, rxmtThresh: 1, win0Thresh: 1, gapThresh: 1, size: -1, rs: rs}
}

func (e *endpoint) fullSeq(seq, wraps uint32) uint64 { return uint64(wraps)<<32 | uint64(seq) }
func (e *endpoint) relSeq(seq, wraps uint32) uint64 {
	return e.fullSeq(seq, wraps) - uint64(e.startSeq)
}

func (e *endpoint) updateLastSeq(seq uint32) {
	if seq < e.lastSeq {
		e.seqWraps++
	}
	e.lastSeq = seq
}

func (e *endpoint) updateAckSeq(seq uint32) {
	if seq < e.ackSeq {
		e.ackWraps++
	}
	e.ackSeq = seq
}

func (e *endpoint) noDataAcked() bool {
	ack := e.fullSeq(e.ackSeq, e.ackWraps)
	start := uint64(e.startSeq)
	return ack == start || ack == start+1
}

func (e *endpoint) setState(s tcpState) {
	if s != e.state {
		e.prevState = e.state
		e.state = s
	}
}

func (e *endpoint) isActive() bool { return e.state != tcpInactive && !e.didClose }

// Conn is a tracked connection. It is owned by one Tracker (one worker) and
// recycled after removal; nothing outside the tracker may keep a pointer.
type Conn struct {
	key     flow.Key
	gen     uint32 // bumped on removal: stale timer entries compare it
	live    bool
	origIsA bool // the originator is the A side of key

	ipProto    uint8
	transport  event.Transport
	v6         bool
	icmpOneWay bool

	start, last int64
	uid         string
	serial      uint32
	vlan, inner uint16

	history  []byte
	histSeen uint32

	orig, resp endpoint

	// TCP session (Zeek's TCPSessionAdapter).
	isActive       bool
	isPartial      bool
	firstSeen      uint8 // bit 1 orig, bit 2 resp
	seenFirstACK   bool
	timersCanceled bool
	closeDeferred  bool
	inactivity     int64 // ns; 0 disables
	missedBytes    uint64
	evSeq          uint64 // per-connection event counter (ordering tie-break)
	didWeird       bool
	adapterGen     uint32 // TCP session timers
	inactGen       uint32 // inactivity timer

	parents       []string // tunnel uids (tunnel_parents)
	tunnelService string   // the outer connection of a confirmed UDP tunnel ("vxlan", ...)

	app      *app // application layer; nil until payload is seen (or never)
	appTried bool

	lruPrev, lruNext *Conn // idle order for the MaxConns bound
}

// origAddr returns the originator endpoint as address and port.
func (c *Conn) origEP() ([16]byte, uint16) {
	if c.origIsA {
		return c.key.A, c.key.PA
	}
	return c.key.B, c.key.PB
}

func (c *Conn) respEP() ([16]byte, uint16) {
	if c.origIsA {
		return c.key.B, c.key.PB
	}
	return c.key.A, c.key.PA
}

// addHistory appends a letter.
func (c *Conn) addHistory(code byte) { c.history = append(c.history, code) }

// checkHistory adds code once per mask; it reports whether the mask had
// already been seen (Zeek's Connection::CheckHistory).
func (c *Conn) checkHistory(mask uint32, code byte) bool {
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		c.addHistory(code)
		return false
	}
	return true
}

// epCheckHistory is checkHistory for an endpoint: the responder's letters
// are lower case and its mask bits shifted.
func (c *Conn) epCheckHistory(isOrig bool, mask uint32, code byte) bool {
	if !isOrig {
		mask <<= 16
		code = lower(code)
	}
	return c.checkHistory(mask, code)
}

func (c *Conn) epAddHistory(isOrig bool, code byte) {
	if !isOrig {
		code = lower(code)
	}
	c.addHistory(code)
}

// scaledHistory adds code when counter reaches the threshold, then
// multiplies the threshold by ten (Zeek's ScaledHistoryEntry): letters such
// as 't' appear after 1, 10, 100, ... occurrences.
func (c *Conn) scaledHistory(code byte, counter, thresh *uint32) {
	*counter++
	if *counter == *thresh {
		c.addHistory(code)
		n := *thresh * 10
		if n <= *thresh {
			*counter = 0
		} else {
			*thresh = n
		}
	}
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func (c *Conn) ep(isOrig bool) (e, peer *endpoint) {
	if isOrig {
		return &c.orig, &c.resp
	}
	return &c.resp, &c.orig
}

// flipRoles swaps originator and responder (Zeek's Connection::FlipRoles).
// The letters already in the history keep their case; a '^' marks the flip.
func (c *Conn) flipRoles() {
	c.origIsA = !c.origIsA
	c.orig, c.resp = c.resp, c.orig
	c.firstSeen = (c.firstSeen&1)<<1 | (c.firstSeen&2)>>1
	c.isPartial = false
	c.addHistory('^')
}

func seqDelta(a, b uint32) int32 { return int32(a - b) }

func seqBetween(seq, low, high uint32) bool {
	if low <= high {
		return seq >= low && seq <= high
	}
	return seq >= low || seq <= high
}
