package decode

import "strconv"

// Config tunes a Decoder. Start from DefaultConfig: the zero value turns
// checksum verification off. Limits of zero or less take their defaults.
type Config struct {
	// CheckChecksums verifies IPv4 header checksums (a bad one drops the
	// packet with weird "bad_IP_checksum") and TCP, UDP, ICMP and ICMPv6
	// checksums (a bad one sets Packet.BadChecksum). Zeek checks by default;
	// its -C turns checking off, as it should for captures taken on a host
	// with checksum offload.
	CheckChecksums bool

	// MaxFragDatagrams bounds the datagrams held in fragment reassembly at
	// once; when a new one would exceed it, the oldest is dropped.
	// Default 8192.
	MaxFragDatagrams int
	// MaxFragBytes bounds the buffer memory of fragment reassembly, idle
	// buffers kept for reuse included; the oldest datagrams are dropped to
	// stay within it. Default 64 MiB; it cannot go below one datagram of the
	// largest size twice (about 128 KiB).
	MaxFragBytes int
	// FragTimeout drops a datagram still incomplete this many nanoseconds of
	// network time (Packet.TS) after its first fragment. Default 60 s. Zeek's
	// frag_timeout is off by default; weir always bounds how long a
	// fragment can hold memory.
	FragTimeout int64

	// MaxTunnelDepth is how many tunnels deep packets are decapsulated
	// (Zeek's Tunnel::max_depth): a tunnel inside that many others is not,
	// with weird "exceeded_tunnel_max_depth". Default 2, at most
	// MaxTunnelDepth.
	MaxTunnelDepth int
}

// Defaults for the limits of Config.
const (
	DefaultMaxFragDatagrams       = 8192
	DefaultMaxFragBytes           = 64 << 20
	DefaultFragTimeout      int64 = 60e9
	DefaultMaxTunnelDepth         = 2
)

// DefaultConfig is Zeek's behavior: checksums checked, default limits.
func DefaultConfig() Config {
	return Config{
		CheckChecksums:   true,
		MaxFragDatagrams: DefaultMaxFragDatagrams,
		MaxFragBytes:     DefaultMaxFragBytes,
		FragTimeout:      DefaultFragTimeout,
		MaxTunnelDepth:   DefaultMaxTunnelDepth,
	}
}

// Stats counts what a Decoder has seen since it was made.
type Stats struct {
	Packets uint64 // Decode calls

	// By Status.
	OK       uint64
	NotIP    uint64
	Fragment uint64
	Weird    uint64

	UnknownLink uint64 // frames of a link type the decoder does not know (counted as NotIP too)
	Truncated   uint64 // OK packets cut by the snap length
	BadChecksum uint64 // OK packets with a bad transport checksum

	FragReassembled uint64 // datagrams completed from fragments
	FragEvicted     uint64 // incomplete datagrams dropped to stay within MaxFragDatagrams or MaxFragBytes
	FragExpired     uint64 // incomplete datagrams dropped after FragTimeout
	FragInFlight    int    // incomplete datagrams held now
	FragBytes       int    // reassembly buffer memory held now, idle buffers included

	// Tunnels. Packets and the counts by Status above are Decode's; inner
	// packets are counted here.
	Tunneled         uint64 // packets, outer or inner, carrying a frame to decapsulate
	TunnelViolations uint64 // UDP tunnel packets with a malformed tunnel header (Tunnel.Violation)
	InnerPackets     uint64 // DecodeInner calls
	InnerOK          uint64 // inner packets with Status OK
	InnerWeird       uint64 // inner packets with Status Weird
}

// Decoder decodes frames into Packets. It holds the fragment reassembly
// state of one stream of packets in network-time order, so each worker owns
// one Decoder and no method may be called concurrently. Decoding allocates
// nothing in the steady state.
type Decoder struct {
	cfg   Config
	stats Stats
	frags reassembler
}

// NewDecoder returns a Decoder with cfg, limits defaulted.
func NewDecoder(cfg Config) *Decoder {
	if cfg.MaxFragDatagrams <= 0 {
		cfg.MaxFragDatagrams = DefaultMaxFragDatagrams
	}
	if cfg.MaxFragBytes <= 0 {
		cfg.MaxFragBytes = DefaultMaxFragBytes
	}
	cfg.MaxFragBytes = max(cfg.MaxFragBytes, 2*fragBufMax) // a datagram moving to a bigger buffer holds both
	if cfg.FragTimeout <= 0 {
		cfg.FragTimeout = DefaultFragTimeout
	}
	if cfg.MaxTunnelDepth <= 0 {
		cfg.MaxTunnelDepth = DefaultMaxTunnelDepth
	}
	cfg.MaxTunnelDepth = min(cfg.MaxTunnelDepth, MaxTunnelDepth)
	d := &Decoder{cfg: cfg}
	d.frags.init(&d.cfg, &d.stats)
	return d
}

// Config returns the configuration in use, defaults filled in.
func (d *Decoder) Config() Config { return d.cfg }

// Stats returns the counters so far. Like Decode, it must be called from the
// goroutine that owns the Decoder.
func (d *Decoder) Stats() Stats {
	s := d.stats
	s.FragInFlight = d.frags.count
	s.FragBytes = d.frags.held
	return s
}

// Decode decodes the frame p.Data of link type p.Link and sets every other
// field of p (see Packet); the caller sets TS, Link, Data, WireLen and
// Iface. The slices it sets point into p.Data, or into a reassembly buffer
// of d when p.Reassembled: either way they are valid until the next Decode
// on d, and p.Data is not modified. When p carries an encapsulated frame
// (p.Tunnel), DecodeInner decodes it, before the next Decode.
//
// Decode never panics on malformed input: anomalies become Status Weird
// with a Zeek weird name, or members of ExtraWeird.
func (d *Decoder) Decode(p *Packet) {
	p.Reset()
	d.frags.releaseLast()
	d.frags.expire(p.TS)
	d.decodeLink(p)
	if p.Status == OK {
		d.tunnel(p)
		if p.Status == OK && p.Tunnel.InnerLink != 0 {
			d.stats.Tunneled++
		}
	}

	s := &d.stats
	s.Packets++
	switch p.Status {
	case OK:
		s.OK++
		if p.Truncated {
			s.Truncated++
		}
		if p.BadChecksum {
			s.BadChecksum++
		}
	case NotIP:
		s.NotIP++
	case Fragment:
		s.Fragment++
	default:
		s.Weird++
	}
}

// String returns the status name.
func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case NotIP:
		return "NotIP"
	case Fragment:
		return "Fragment"
	case Weird:
		return "Weird"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// weird ends decoding of p with the named anomaly, named as Zeek names it
// for a packet inside a tunnel when p is one.
func weird(p *Packet, name string) {
	p.Status = Weird
	if p.Encap.Len() > 0 {
		if n, ok := statusWeirds[name]; ok {
			name = n
		}
	}
	p.Weird = name
}
