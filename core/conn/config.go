package conn

import (
	"time"

	"github.com/weirnet/weir/core/analyzer"

	"github.com/weirnet/weir/core/flow"
)

// Config holds connection-tracking settings. The zero value is not useful:
// start from DefaultConfig, which carries Zeek's defaults.
type Config struct {
	// Inactivity timeouts, as Zeek's tcp_inactivity_timeout,
	// udp_inactivity_timeout, icmp_inactivity_timeout. A TCP connection
	// still in its handshake uses the UDP timeout, as Zeek does.
	TCPInactivity     time.Duration
	UDPInactivity     time.Duration
	ICMPInactivity    time.Duration
	UnknownInactivity time.Duration

	TCPAttemptDelay     time.Duration // tcp_attempt_delay: an unanswered SYN is removed after this
	TCPSYNTimeout       time.Duration // tcp_SYN_timeout: first expire check
	TCPSessionTimer     time.Duration // tcp_session_timer: expire check period after a partial close
	TCPLinger           time.Duration // tcp_connection_linger
	TCPCloseDelay       time.Duration // tcp_close_delay: removal after a complete close
	MaxInitialWindow    uint64        // tcp_max_initial_window
	MaxAboveHole        uint64        // tcp_max_above_hole_without_any_acks
	MaxReassemblyRanges int           // bound on out-of-order segments held per direction
	MaxReassemblyBytes  int           // bound on out-of-order bytes held per direction
	MaxReassemblyTotal  int64         // bound on out-of-order bytes held by one tracker

	// Analyzers are the protocol analyzers to detect and run. They are
	// shared by all workers: Detect and NewSession must be safe for
	// concurrent use (sessions are not shared).
	Analyzers []analyzer.Analyzer
	// Taps publish raw payload events for plugins (see Tap).
	Taps []Tap

	// MaxConns bounds the live connections of one tracker. When it is hit
	// the connection idle the longest is removed early (logged as usual)
	// and counted.
	MaxConns int

	// IgnoreViolationsAfter ignores an analyzer's protocol violation once
	// the connection carries more than this many bytes (both directions;
	// 0: never ignore), as Zeek's DPD::ignore_violations_after: deep
	// into a connection a parse error is more likely the analyzer's than
	// the protocol's, and the service stays.
	IgnoreViolationsAfter uint64

	// EmitConnStart publishes a ConnStart event for every new connection
	// (only when a plugin subscribes: it costs an allocation per flow).
	EmitConnStart bool

	LocalNets         *flow.Nets
	UIDSeed           uint64
	CommunityIDSeed   uint16
	LikelyServerPorts *PortSet
}

// Settings are the parts of Config a running tracker can change (a
// sensor's reload). They apply to connections created from then on, as a
// redef of Zeek's timeouts would; existing connections keep their timers.
type Settings struct {
	TCPInactivity, UDPInactivity, ICMPInactivity time.Duration
	MaxConns                                     int
	IgnoreViolationsAfter                        uint64
	LocalNets                                    *flow.Nets
}

// Settings returns c's changeable parts.
func (c Config) Settings() Settings {
	return Settings{TCPInactivity: c.TCPInactivity, UDPInactivity: c.UDPInactivity, ICMPInactivity: c.ICMPInactivity,
		MaxConns: c.MaxConns, IgnoreViolationsAfter: c.IgnoreViolationsAfter, LocalNets: c.LocalNets}
}

// DefaultConfig returns Zeek's defaults.
func DefaultConfig() Config {
	nets, _ := flow.ParseNets(flow.ZeekPrivateAddressSpace)
	return Config{
		TCPInactivity:         5 * time.Minute,
		UDPInactivity:         time.Minute,
		ICMPInactivity:        time.Minute,
		UnknownInactivity:     time.Minute,
		TCPAttemptDelay:       5 * time.Second,
		TCPSYNTimeout:         5 * time.Second,
		TCPSessionTimer:       6 * time.Second,
		TCPLinger:             5 * time.Second,
		TCPCloseDelay:         5 * time.Second,
		MaxInitialWindow:      16384,
		MaxAboveHole:          16384,
		MaxReassemblyRanges:   64,
		MaxReassemblyBytes:    1 << 20,
		MaxReassemblyTotal:    256 << 20,
		MaxConns:              1 << 20,
		IgnoreViolationsAfter: 10 * 1024,
		LocalNets:             nets,
		LikelyServerPorts:     DefaultLikelyServerPorts(),
	}
}

// PortSet is a set of TCP and UDP ports.
type PortSet struct {
	tcp, udp [65536 / 64]uint64
}

// Add adds a port for proto ("tcp" or "udp" numbers 6 and 17).
func (s *PortSet) Add(proto uint8, port uint16) {
	switch proto {
	case 6:
		s.tcp[port/64] |= 1 << (port % 64)
	case 17:
		s.udp[port/64] |= 1 << (port % 64)
	}
}

// Has reports whether port is in the set for proto.
func (s *PortSet) Has(proto uint8, port uint16) bool {
	if s == nil {
		return false
	}
	switch proto {
	case 6:
		return s.tcp[port/64]&(1<<(port%64)) != 0
	case 17:
		return s.udp[port/64]&(1<<(port%64)) != 0
	}
	return false
}

// DefaultLikelyServerPorts mirrors Zeek's likely_server_ports as filled by
// the analyzers its default scripts register for well-known ports. It only
// decides who is the originator of a connection whose first packet is not
// a SYN (or of a UDP flow whose first packet comes from a server port).
func DefaultLikelyServerPorts() *PortSet {
	s := &PortSet{}
	for _, p := range []uint16{21, 22, 23, 25, 53, 80, 81, 88, 102, 110, 111, 135, 139, 143, 179, 389, 443, 445, 502,
		563, 585, 587, 614, 631, 636, 989, 990, 992, 993, 994, 995, 1080, 1433, 1723, 1883, 2049, 2404, 3128,
		3306, 3389, 5060, 5222, 5223, 5269, 5432, 5672, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8081, 8443,
		8888, 9200, 20000} {
		s.Add(6, p)
	}
	for _, p := range []uint16{53, 67, 69, 111, 123, 137, 138, 161, 162, 500, 514, 1812, 1813, 2049, 3478,
		4500, 4789, 5060, 5353, 5355, 6081, 20000} {
		s.Add(17, p)
	}
	return s
}
