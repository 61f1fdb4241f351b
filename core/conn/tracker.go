// Package conn tracks connections with Zeek's semantics: connection identity
// and orientation, TCP endpoint states and history letters, byte counts from
// sequence numbers, content gaps, packet and IP byte counts, timers driven
// by network time, and the conn.log summary published as a ConnEnd event.
//
// A Tracker belongs to one worker goroutine and is not safe for concurrent
// use. It never allocates per packet once warm: connections are recycled
// through a free list and the map is presized.
package conn

import (
	"slices"
	"sync/atomic"

	"github.com/weirnet/weir/core/analyzer"

	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/core/flow"
)

// Stats counts what a tracker did.
type Stats struct {
	Packets                 uint64
	ConnsCreated            uint64
	ConnsRemoved            uint64
	EvictedByLimit          uint64
	ReassemblyRangesDropped uint64
	Violations              uint64
	ViolationsIgnored       uint64 // past IgnoreViolationsAfter
	Live                    int
}

// Tracker is the connection table of one worker.
type Tracker struct {
	cfg   Config
	conns map[flow.Key]*Conn
	free  []*Conn
	tq    timerQueue
	uids  *flow.UIDGen
	now   int64
	out   []event.Event
	stats Stats

	timerSeq         uint64
	lruHead, lruTail *Conn // most recent at head

	analyzers []analyzer.Analyzer
	lim       limits
	// By transport (event.Transport: unknown, TCP, UDP, ICMP), readable
	// from other goroutines (metrics, stats): live connections, and
	// connections created.
	liveBy, createdBy [4]atomic.Int64
	acks              atomic.Uint64
	gaps              atomic.Uint64
	heldTotal         int64
}

// NewTracker returns a tracker with the given configuration.
func NewTracker(cfg Config) *Tracker {
	if cfg.MaxReassemblyRanges <= 0 {
		cfg.MaxReassemblyRanges = 64
	}
	hint := cfg.MaxConns
	if hint > 65536 {
		hint = 65536
	}
	t := &Tracker{
		cfg:       cfg,
		conns:     make(map[flow.Key]*Conn, hint),
		uids:      flow.NewUIDGen(cfg.UIDSeed),
		analyzers: cfg.Analyzers,
	}
	t.lim = limits{maxSegs: cfg.MaxReassemblyRanges, maxBytes: cfg.MaxReassemblyBytes,
		budget: &t.heldTotal, maxTotal: cfg.MaxReassemblyTotal}
	if t.lim.maxBytes <= 0 {
		t.lim.maxBytes = 1 << 20
	}
	if t.lim.maxTotal <= 0 {
		t.lim.maxTotal = 256 << 20
	}
	return t
}

// appFor returns the application state of c, creating it on first use.
func (t *Tracker) appFor(c *Conn) *app {
	if !c.appTried {
		c.appTried = true
		if len(t.analyzers) > 0 || len(t.cfg.Taps) > 0 {
			c.app = t.newApp(c)
		}
	}
	return c.app
}

// Stats returns the counters.
func (t *Tracker) Stats() Stats {
	s := t.stats
	s.Live = len(t.conns)
	return s
}

// AckGaps returns how many acknowledgements were seen on established TCP
// connections and how many of them revealed missing data (Zeek's
// capture-loss measure). Safe from any goroutine.
func (t *Tracker) AckGaps() (acks, gaps uint64) { return t.acks.Load(), t.gaps.Load() }

// LiveConns is the number of live connections; unlike the rest of the
// tracker it may be read from any goroutine.
func (t *Tracker) LiveConns() int64 {
	var n int64
	for i := range t.liveBy {
		n += t.liveBy[i].Load()
	}
	return n
}

// ConnCounts returns, per transport (indexed by event.Transport), the live
// connections and those created so far; safe from any goroutine.
func (t *Tracker) ConnCounts() (live, created [4]int64) {
	for i := range live {
		live[i], created[i] = t.liveBy[i].Load(), t.createdBy[i].Load()
	}
	return live, created
}

// TakeEvents returns the events produced since the last call, in
// production order, and resets the buffer. The slice is reused by the
// tracker: the caller must be done with it before the next Packet call.
func (t *Tracker) TakeEvents() []event.Event {
	ev := t.out
	t.out = t.out[:0]
	return ev
}

// Packet processes one decoded packet that came in no tunnel.
func (t *Tracker) Packet(p *decode.Packet, now int64) { t.PacketIn(p, now, "") }

// PacketIn processes one decoded packet whose Status is OK. Network time
// first advances to now (the highest timestamp seen so far across all
// input, which the dispatcher tracks), firing any timers due.
//
// parent is the uid of the tunnel that carried the packet ("" if none); it
// goes into the connection's tunnel_parents.
func (t *Tracker) PacketIn(p *decode.Packet, now int64, parent string) {
	t.Advance(now)
	t.stats.Packets++

	var sp, dp uint16
	var icmpOneWay bool
	switch p.Proto {
	case 6, 17:
		sp, dp = p.SrcPort, p.DstPort
	case 1, 58:
		sp, dp, icmpOneWay = flow.ICMPPorts(p.Proto == 58, p.ICMPType, p.ICMPCode)
	}
	key, srcIsB := flow.MakeKey(p.Src, p.Dst, sp, dp, p.Proto)

	c := t.conns[key]
	var serial uint32
	if c != nil && p.Proto == 6 && t.tcpIsReuse(c, p) {
		// The only way two connections of one key share a start time:
		// the uid must still differ.
		if c.start == p.TS {
			serial = c.serial + 1
		}
		t.remove(c, p.TS)
		c = nil
	}
	if c == nil {
		c = t.newConn(&key, p, srcIsB, sp, dp, icmpOneWay, serial)
	} else {
		t.touch(c)
	}
	isOrig := c.origIsA != srcIsB
	if parent != "" && !slices.Contains(c.parents, parent) {
		c.parents = append(c.parents, parent)
	}
	if p.Tunnel.Confirmed && c.tunnelService == "" {
		c.tunnelService = p.Tunnel.Kind.Service()
	}
	if p.VLAN != 0 && c.vlan == 0 {
		c.vlan, c.inner = p.VLAN, p.InnerVLAN
	}

	switch c.transport {
	case event.TransportTCP:
		t.tcpPacket(c, p, isOrig)
	case event.TransportUDP:
		t.udpPacket(c, p, isOrig)
	case event.TransportICMP:
		t.icmpPacket(c, p, isOrig)
	default:
		e, _ := c.ep(isOrig)
		c.last = p.TS
		e.pkts++
		e.ipBytes += uint64(p.IPTotalLen)
	}
}

// Apply puts changed settings in force at network time now. A lower
// connection bound evicts the connections idle the longest at once (logged
// as usual, with the conn_table_limit_eviction weird, and counted).
func (t *Tracker) Apply(s Settings, now int64) {
	t.cfg.TCPInactivity, t.cfg.UDPInactivity, t.cfg.ICMPInactivity = s.TCPInactivity, s.UDPInactivity, s.ICMPInactivity
	t.cfg.MaxConns, t.cfg.IgnoreViolationsAfter, t.cfg.LocalNets = s.MaxConns, s.IgnoreViolationsAfter, s.LocalNets
	for t.cfg.MaxConns > 0 && len(t.conns) > t.cfg.MaxConns && t.lruTail != nil {
		t.evictOne(now)
	}
}

// evictOne removes the connection idle the longest to make room.
func (t *Tracker) evictOne(now int64) {
	t.stats.EvictedByLimit++
	victim := t.lruTail
	t.weird(victim, "conn_table_limit_eviction", now)
	t.remove(victim, now)
}

func (t *Tracker) newConn(key *flow.Key, p *decode.Packet, srcIsB bool, sp, dp uint16, oneWay bool, serial uint32) *Conn {
	if t.cfg.MaxConns > 0 && len(t.conns) >= t.cfg.MaxConns && t.lruTail != nil {
		t.evictOne(p.TS)
	}
	var c *Conn
	if n := len(t.free); n > 0 {
		c = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		c = &Conn{}
	}
	gen := c.gen
	hist := c.history[:0]
	parents := c.parents[:0]
	orig, resp := c.orig, c.resp
	*c = Conn{key: *key, gen: gen, history: hist, parents: parents, orig: orig, resp: resp}
	c.orig.reset()
	c.resp.reset()
	c.live = true
	c.origIsA = !srcIsB
	c.ipProto = p.Proto
	c.v6 = !flow.IsV4(p.Src)
	c.icmpOneWay = oneWay
	c.start, c.last = p.TS, p.TS
	c.isActive = true
	c.vlan, c.inner = p.VLAN, p.InnerVLAN

	flip := false
	switch p.Proto {
	case 6:
		c.transport = event.TransportTCP
		flip = t.flipNewTCP(tcpFlags(p.TCPFlags), sp, dp)
	case 17:
		c.transport = event.TransportUDP
		ports := t.cfg.LikelyServerPorts
		flip = ports.Has(17, sp) && !ports.Has(17, dp)
	case 1, 58:
		c.transport = event.TransportICMP
	default:
		c.transport = event.TransportUnknown
	}
	if flip && !isBroadcast(p.Dst) {
		c.flipRoles()
	}

	c.serial = serial
	c.uid = t.uids.UID(key, p.TS, c.serial)

	t.conns[*key] = c
	t.liveBy[c.transport&3].Add(1)
	t.createdBy[c.transport&3].Add(1)
	t.lruPush(c)
	t.stats.ConnsCreated++

	switch c.transport {
	case event.TransportTCP:
		t.addTimer(c, timerExpire, p.TS+int64(t.cfg.TCPSYNTimeout))
		t.setInactivity(c, int64(t.cfg.UDPInactivity))
	case event.TransportUDP:
		t.setInactivity(c, int64(t.cfg.UDPInactivity))
	case event.TransportICMP:
		t.setInactivity(c, int64(t.cfg.ICMPInactivity))
	default:
		t.setInactivity(c, int64(t.cfg.UnknownInactivity))
	}
	if t.cfg.EmitConnStart {
		t.emit(c, event.KindConnStart, p.TS, &event.Conn{UID: c.uid, ID: c.connID(), Start: c.start})
	}
	return c
}

func isBroadcast(a [16]byte) bool {
	return flow.IsV4(a) && a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255
}

func (t *Tracker) udpPacket(c *Conn, p *decode.Packet, isOrig bool) {
	e, _ := c.ep(isOrig)
	if p.BadChecksum {
		t.weird(c, "bad_UDP_checksum", p.TS)
		c.scaledHistory(c.letter(isOrig, 'C'), &e.chkCnt, &e.chkThresh)
		return
	}
	c.last = p.TS
	if isOrig {
		c.checkHistory(histUDPOrigD, 'D')
	} else {
		c.checkHistory(histUDPRespD, 'd')
	}
	n := int64(p.PayloadLen)
	if e.size < 0 {
		e.size = n
	} else {
		e.size += n
	}
	e.pkts++
	e.ipBytes += uint64(p.IPTotalLen)
	if len(p.Payload) > 0 {
		if a := t.appFor(c); a != nil {
			a.ts = p.TS
			a.flipped = false
			a.datagram(isOrig, p.Payload)
			if a.flipped {
				// Zeek counts a datagram after its analyzers have seen
				// it, so the one that flipped the roles counts for the
				// side it arrived as (now the other endpoint).
				from, to := c.ep(!isOrig)
				from.pkts--
				from.ipBytes -= uint64(p.IPTotalLen)
				from.size -= n
				if from.pkts == 0 {
					from.size = -1
				}
				to.pkts++
				to.ipBytes += uint64(p.IPTotalLen)
				to.size = max(to.size, 0) + n
			}
		}
	}
}

func (t *Tracker) icmpPacket(c *Conn, p *decode.Packet, isOrig bool) {
	e, _ := c.ep(isOrig)
	if p.BadChecksum {
		t.weird(c, "bad_ICMP_checksum", p.TS)
		return
	}
	c.last = p.TS
	n := int64(p.PayloadLen)
	if e.size < 0 {
		e.size = n
	} else {
		e.size += n
	}
	e.pkts++
	e.ipBytes += uint64(p.IPTotalLen)
}

// Advance moves network time to now, firing due timers.
func (t *Tracker) Advance(now int64) {
	if now < t.now {
		return
	}
	t.now = now
	for {
		e, ok := t.tq.popDue(now)
		if !ok {
			break
		}
		c := e.c
		if !c.live || c.gen != e.gen {
			continue
		}
		switch e.kind {
		case timerInactivity:
			if e.sub != c.inactGen {
				continue
			}
			if c.last+c.inactivity <= e.t {
				t.remove(c, e.t)
			} else {
				t.pushTimer(c, timerInactivity, c.inactGen, c.last+c.inactivity)
			}
		case timerExpire:
			if e.sub == c.adapterGen {
				t.tcpExpire(c, e.t)
			}
		case timerAttempt:
			if e.sub == c.adapterGen {
				t.tcpAttempt(c, e.t)
			}
		case timerDelete:
			t.remove(c, e.t)
		case timerAppExpire:
			if c.app != nil {
				c.app.expire(e.sub, e.t)
			}
		}
	}
}

// Flush removes every connection, as at the end of input, at network time
// now. Connections are removed in uid order so the output is deterministic.
func (t *Tracker) Flush(now int64) {
	t.Advance(now)
	all := make([]*Conn, 0, len(t.conns))
	for _, c := range t.conns {
		all = append(all, c)
	}
	sortConns(all)
	for _, c := range all {
		t.remove(c, now)
	}
	t.tq.reset()
}

// remove logs and forgets a connection.
func (t *Tracker) remove(c *Conn, now int64) {
	if !c.live {
		return
	}
	if c.app != nil {
		c.app.ts = now
		c.app.end(now)
	}
	rec := t.summary(c)
	if c.app != nil && len(c.app.services) > 0 {
		rec.Service = slices.Clone(c.app.services)
	}
	if c.tunnelService != "" && !slices.Contains(rec.Service, c.tunnelService) {
		rec.Service = append(rec.Service, c.tunnelService)
	}
	if len(c.parents) > 0 {
		rec.TunnelParents = slices.Clone(c.parents)
	}
	c.app = nil
	c.orig.rs.clear(&t.lim)
	c.resp.rs.clear(&t.lim)
	t.emit(c, event.KindConnEnd, now, rec)
	delete(t.conns, c.key)
	t.liveBy[c.transport&3].Add(-1)
	t.lruUnlink(c)
	c.live = false
	c.gen++
	t.stats.ConnsRemoved++
	t.free = append(t.free, c)
}

func (c *Conn) connID() event.ConnID {
	oa, op := c.origEP()
	ra, rp := c.respEP()
	return event.ConnID{OrigH: flow.Addr(oa), RespH: flow.Addr(ra), OrigP: op, RespP: rp, Proto: c.transport}
}

// summary builds the conn.log record (Zeek's Conn::set_conn at the end of
// the connection).
func (t *Tracker) summary(c *Conn) *event.Conn {
	oa, op := c.origEP()
	ra, rp := c.respEP()
	r := &event.Conn{
		UID:         c.uid,
		ID:          c.connID(),
		Start:       c.start,
		Duration:    c.last - c.start,
		ConnState:   t.connState(c),
		MissedBytes: c.missedBytes,
		History:     string(c.history),
		OrigPkts:    c.orig.pkts,
		OrigIPBytes: c.orig.ipBytes,
		RespPkts:    c.resp.pkts,
		RespIPBytes: c.resp.ipBytes,
		IPProto:     c.ipProto,
		VLAN:        c.vlan,
		InnerVLAN:   c.inner,
	}
	r.OrigBytes, r.RespBytes = c.sizes()
	if t.cfg.LocalNets.Len() > 0 {
		r.LocalOrig = tri(t.cfg.LocalNets.Contains(oa))
		r.LocalResp = tri(t.cfg.LocalNets.Contains(ra))
	}
	var oneWay bool
	if c.transport == event.TransportICMP {
		oneWay = c.icmpOneWay
	}
	r.CommunityID = flow.CommunityID(t.cfg.CommunityIDSeed, oa, ra, op, rp, c.ipProto, oneWay)
	return r
}

func tri(b bool) event.Tristate {
	if b {
		return event.True
	}
	return event.False
}

// connState is Zeek's Conn::conn_state.
func (t *Tracker) connState(c *Conn) string {
	switch c.transport {
	case event.TransportTCP:
		os, rs := c.orig.state, c.resp.state
		oInactive := os == tcpInactive || os == tcpPartial
		rInactive := rs == tcpInactive || rs == tcpPartial
		switch {
		case rs == tcpReset:
			if os == tcpSynSent || os == tcpSynAckSent ||
				(os == tcpReset && c.orig.size2(c) == 0 && c.resp.size2(c) == 0) {
				return "REJ"
			}
			if oInactive {
				return "RSTRH"
			}
			return "RSTR"
		case os == tcpReset:
			if rInactive {
				if rstos0(c.history) {
					return "RSTOS0"
				}
				return "OTH"
			}
			return "RSTO"
		case rs == tcpClosed && os == tcpClosed:
			return "SF"
		case os == tcpClosed:
			if rInactive {
				return "SH"
			}
			return "S2"
		case rs == tcpClosed:
			if oInactive {
				return "SHR"
			}
			return "S3"
		case os == tcpSynSent && rs == tcpInactive:
			return "S0"
		case os == tcpEstablished && rs == tcpEstablished:
			return "S1"
		}
		return "OTH"
	case event.TransportUDP:
		oa, ra := c.orig.size >= 0, c.resp.size >= 0
		switch {
		case oa && ra:
			return "SF"
		case oa:
			return "S0"
		case ra:
			return "SHR"
		}
		return "OTH"
	}
	return "OTH"
}

// rstos0 matches Zeek's /\^?S[^HAFGIQ]*R.*/ against the whole history.
func rstos0(h []byte) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

func (t *Tracker) emit(c *Conn, kind event.Kind, now int64, rec *event.Conn) {
	c.evSeq++
	t.out = append(t.out, event.Event{Kind: kind, Time: now, Key: c.uid, Seq: c.evSeq, Conn: rec})
}

// weird records an anomaly tied to connection c.
func (t *Tracker) weird(c *Conn, name string, ts int64) {
	id := c.connID()
	c.evSeq++
	t.out = append(t.out, event.Event{Kind: event.KindWeird, Time: ts, Key: c.uid, Seq: c.evSeq,
		Weird: &event.Weird{TS: ts, UID: c.uid, ID: &id, Name: name, Source: weirdSource[c.transport]}})
	c.didWeird = true
}

var weirdSource = [...]string{event.TransportUnknown: "IP", event.TransportTCP: "TCP",
	event.TransportUDP: "UDP", event.TransportICMP: "ICMP"}

// weirdAddl records an anomaly with additional information.
func (t *Tracker) weirdAddl(c *Conn, name, addl string, ts int64) {
	id := c.connID()
	c.evSeq++
	t.out = append(t.out, event.Event{Kind: event.KindWeird, Time: ts, Key: c.uid, Seq: c.evSeq,
		Weird: &event.Weird{TS: ts, UID: c.uid, ID: &id, Name: name, Addl: addl, Source: weirdSource[c.transport]}})
	c.didWeird = true
}

// weirdOnce records a weird only if the connection had none so far (Zeek's
// DidWeird checks).
func (t *Tracker) weirdOnce(c *Conn, name string, ts int64) {
	if !c.didWeird {
		t.weird(c, name, ts)
	}
}

// LRU of connections by last activity, for the MaxConns bound.
func (t *Tracker) lruPush(c *Conn) {
	c.lruPrev = nil
	c.lruNext = t.lruHead
	if t.lruHead != nil {
		t.lruHead.lruPrev = c
	}
	t.lruHead = c
	if t.lruTail == nil {
		t.lruTail = c
	}
}

func (t *Tracker) lruUnlink(c *Conn) {
	if c.lruPrev != nil {
		c.lruPrev.lruNext = c.lruNext
	} else {
		t.lruHead = c.lruNext
	}
	if c.lruNext != nil {
		c.lruNext.lruPrev = c.lruPrev
	} else {
		t.lruTail = c.lruPrev
	}
	c.lruPrev, c.lruNext = nil, nil
}

func (t *Tracker) touch(c *Conn) {
	if t.lruHead == c {
		return
	}
	t.lruUnlink(c)
	t.lruPush(c)
}
