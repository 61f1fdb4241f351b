package conn

import (
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
)

// This file follows Zeek's TCP session semantics (TCPSessionAdapter and
// TCP_Endpoint): endpoint states, sequence-space accounting, history
// letters, closing and reuse. Where the code reads oddly, it is usually
// because Zeek's logs depend on that exact behaviour.

const tooLargeSeqDelta = 1048576

type tcpFlags uint8

func (f tcpFlags) syn() bool { return f&decode.SYN != 0 }
func (f tcpFlags) fin() bool { return f&decode.FIN != 0 }
func (f tcpFlags) rst() bool { return f&decode.RST != 0 }
func (f tcpFlags) ack() bool { return f&decode.ACK != 0 }
func (f tcpFlags) urg() bool { return f&decode.URG != 0 }

// wantTCP decides, for the first packet of a new connection, whether the
// roles must be flipped (Zeek's TCPAnalyzer::WantConnection).
func (t *Tracker) flipNewTCP(flags tcpFlags, sp, dp uint16) bool {
	if flags.syn() && !flags.ack() {
		return false
	}
	ports := t.cfg.LikelyServerPorts
	if ports.Has(6, sp) {
		if ports.Has(6, dp) {
			return !flags.syn() && sp < dp
		}
		return true
	}
	return false
}

// tcpIsReuse reports whether a packet on an existing connection starts a
// new one (Zeek's TCPSessionAdapter::IsReuse).
func (t *Tracker) tcpIsReuse(c *Conn, p *decode.Packet) bool {
	flags := tcpFlags(p.TCPFlags)
	if !flags.syn() {
		return false
	}
	connOrig := &c.orig
	if flags.ack() {
		if c.orig.state != tcpInactive {
			return false
		}
		connOrig = &c.resp
	}
	if !(c.orig.didClose || c.resp.didClose) {
		if p.Seq == connOrig.startSeq {
			return false
		}
		if !flags.ack() && connOrig.state == tcpSynAckSent && c.resp.state == tcpInactive && p.Seq == c.resp.startSeq {
			return false
		}
		if connOrig.state == tcpSynSent {
			t.weird(c, "SYN_seq_jump", p.TS)
		} else {
			t.weird(c, "active_connection_reuse", p.TS)
		}
	} else if (c.orig.isActive() || c.resp.isActive()) && c.orig.state != tcpReset && c.resp.state != tcpReset {
		t.weird(c, "active_connection_reuse", p.TS)
	} else if p.TS-c.last < int64(t.cfg.TCPLinger) && c.orig.state != tcpReset && c.resp.state != tcpReset {
		t.weird(c, "premature_connection_reuse", p.TS)
	}
	return true
}

func segmentLen(payload int, f tcpFlags) int {
	n := payload
	if f.syn() {
		n++
	}
	if f.fin() {
		n++
	}
	if f.rst() {
		n -= payload
	}
	return n
}

func initEndpoint(t *Tracker, c *Conn, e *endpoint, f tcpFlags, firstSeq, lastSeq uint32, ts int64) {
	switch e.state {
	case tcpInactive:
		if f.syn() {
			e.ackSeq, e.startSeq = firstSeq, firstSeq
		} else {
			e.ackSeq, e.startSeq = firstSeq-1, firstSeq-1
			lastSeq = firstSeq
		}
		e.lastSeq = lastSeq
	case tcpSynSent, tcpSynAckSent:
		if f.syn() && firstSeq != e.startSeq {
			t.weird(c, "SYN_seq_jump", ts)
			e.startSeq, e.ackSeq, e.lastSeq = firstSeq, firstSeq, lastSeq
		}
	case tcpEstablished, tcpPartial:
		if f.syn() {
			if e.size2(c) > 0 {
				t.weird(c, "SYN_inside_connection", ts)
			}
			if firstSeq != e.startSeq {
				t.weird(c, "SYN_seq_jump", ts)
			}
			e.startSeq, e.ackSeq, e.lastSeq = firstSeq, firstSeq, lastSeq
		}
	case tcpReset:
		if f.syn() && e.prevState == tcpInactive {
			e.startSeq, e.ackSeq, e.lastSeq = firstSeq, firstSeq, lastSeq
		}
	}
}

func relativeSeq(e *endpoint, cur, last, wraps uint32) (rel uint64, underflow bool) {
	d := seqDelta(cur, last)
	if d < 0 {
		if wraps > 0 && cur > last {
			wraps--
		}
	} else if d > 0 {
		if cur < last {
			wraps++
		}
	}
	if wraps == 0 {
		d = seqDelta(cur, e.startSeq)
		return uint64(int64(d)), d < 0
	}
	return e.relSeq(cur, wraps), false
}

// size is the number of payload bytes the endpoint sent, from sequence
// numbers (Zeek's TCP_Endpoint::Size).
// sizes are the payload bytes each endpoint sent so far, as conn.log
// counts them (Zeek's c$orig$size and c$resp$size): from sequence numbers
// for TCP, summed payloads otherwise.
func (c *Conn) sizes() (orig, resp uint64) {
	if c.transport == event.TransportTCP {
		return c.orig.size2(c), c.resp.size2(c)
	}
	return uint64(max(c.orig.size, 0)), uint64(max(c.resp.size, 0))
}

func (e *endpoint) size2(c *Conn) uint64 {
	peer := &c.resp
	if e == &c.resp {
		peer = &c.orig
	}
	if e.prevState == tcpSynSent && e.state == tcpReset && peer.state == tcpInactive && !e.noDataAcked() {
		return 0
	}
	last := e.fullSeq(e.lastSeq, e.seqWraps)
	ack := e.fullSeq(e.ackSeq, e.ackWraps)
	var size uint64
	if last > ack {
		size = last - uint64(e.startSeq)
	} else {
		size = ack - uint64(e.startSeq)
	}
	if size != 0 {
		size--
	}
	if e.finCnt > 0 && size != 0 {
		size--
	}
	return size
}

func (c *Conn) updateHistory(isOrig bool, e *endpoint, f tcpFlags, relSeq uint64, n int) {
	bits := 0
	if f.syn() {
		bits++
	}
	if f.fin() {
		bits++
	}
	if f.rst() {
		bits++
	}
	switch {
	case bits > 1:
		if f.fin() && f.rst() {
			c.epCheckHistory(isOrig, histFINRST, 'I')
		} else {
			c.epCheckHistory(isOrig, histMulti, 'Q')
		}
	case bits == 1:
		if f.syn() {
			code := byte('S')
			if f.ack() {
				code = 'H'
			}
			if c.epCheckHistory(isOrig, histSYN, code) && relSeq != e.histLastSYN {
				c.epAddHistory(isOrig, code)
			}
			e.histLastSYN = relSeq
		}
		if f.fin() {
			if c.epCheckHistory(isOrig, histFIN, 'F') && relSeq+uint64(n) != e.histLastFIN {
				c.epAddHistory(isOrig, 'F')
			}
			e.histLastFIN = relSeq + uint64(n)
		}
		if f.rst() {
			if c.epCheckHistory(isOrig, histRST, 'R') && relSeq != e.histLastRST {
				c.epAddHistory(isOrig, 'R')
			}
			e.histLastRST = relSeq
		}
	default:
		if n > 0 {
			c.epCheckHistory(isOrig, histData, 'D')
		} else if f.ack() {
			c.epCheckHistory(isOrig, histACK, 'A')
		}
	}
}

func (c *Conn) letter(isOrig bool, code byte) byte {
	if isOrig {
		return code
	}
	return lower(code)
}

// tcpPacket processes one TCP segment of connection c.
func (t *Tracker) tcpPacket(c *Conn, p *decode.Packet, isOrig bool) {
	e, peer := c.ep(isOrig)
	flags := tcpFlags(p.TCPFlags)
	ts := p.TS

	if p.BadChecksum {
		t.weird(c, "bad_TCP_checksum", ts)
		if isOrig {
			c.scaledHistory('C', &e.chkCnt, &e.chkThresh)
		} else {
			c.scaledHistory('c', &e.chkCnt, &e.chkThresh)
		}
		return
	}
	n := p.PayloadLen
	baseSeq, ackSeq := p.Seq, p.Ack

	// Partial status (SetPartialStatus).
	if isOrig {
		if c.firstSeen&1 == 0 {
			c.isPartial = !flags.syn() || flags.ack()
		}
	} else if c.firstSeen&2 == 0 && !c.isPartial {
		c.isPartial = !flags.syn()
	}

	segLen := segmentLen(n, flags)
	seqOnePast := baseSeq + uint32(segLen)
	initEndpoint(t, c, e, flags, baseSeq, seqOnePast, ts)

	relSeq, underflow := relativeSeq(e, baseSeq, e.lastSeq, e.seqWraps)
	if underflow && !flags.rst() {
		t.weird(c, "TCP_seq_underflow_or_misorder", ts)
	}

	c.updateHistory(isOrig, e, flags, relSeq, n)
	// Zero window (update_window): only the zero check matters for logs.
	if p.Window == 0 && !flags.rst() && peer.state != tcpClosed && e.state != tcpReset {
		c.scaledHistory(c.letter(isOrig, 'W'), &e.win0Cnt, &e.win0Thresh)
	}

	if !c.orig.didClose || !c.resp.didClose {
		c.last = ts
	}

	if flags.syn() {
		if flags.rst() {
			t.weird(c, "TCP_christmas", ts)
		}
		if flags.urg() {
			t.weird(c, "baroque_SYN", ts)
		}
		if n > 0 {
			t.weird(c, "SYN_with_data", ts)
		}
	}
	if flags.fin() {
		e.finCnt++
		e.finSeq = relSeq + uint64(segLen)
	}
	if flags.rst() {
		e.rstCnt++
	}

	var relAck uint64
	if flags.ack() {
		if isOrig && !c.seenFirstACK && (e.state == tcpEstablished || e.state == tcpSynSent) {
			c.seenFirstACK = true
		}
		if peer.state == tcpInactive {
			relAck = 1
			if !flags.syn() && !flags.fin() && !flags.rst() &&
				(e.state == tcpSynSent || e.state == tcpSynAckSent || e.state == tcpEstablished) {
				t.weirdOnce(c, "possible_split_routing", ts)
			}
			peer.startSeq, peer.ackSeq, peer.lastSeq = ackSeq-1, ackSeq-1, ackSeq-1
		} else {
			var ackUnder bool
			relAck, ackUnder = relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps)
			if ackUnder {
				relAck = 0
				t.weird(c, "TCP_ack_underflow_or_misorder", ts)
			} else if !flags.rst() {
				d := seqDelta(ackSeq, peer.ackSeq)
				if !(ackSeq == 0 && d > tooLargeSeqDelta) && d > 0 {
					peer.updateAckSeq(ackSeq)
				}
			}
		}
	}

	// update_last_seq
	deltaLast := seqDelta(seqOnePast, e.lastSeq)
	switch {
	case (flags.syn() || flags.rst()) && (deltaLast > tooLargeSeqDelta || deltaLast < -tooLargeSeqDelta):
	case flags.fin() && e.lastSeq == e.startSeq+1:
		e.updateLastSeq(seqOnePast)
	case e.state == tcpReset:
	case deltaLast > 0:
		e.updateLastSeq(seqOnePast)
	case deltaLast <= 0 && n > 0:
		c.scaledHistory(c.letter(isOrig, 'T'), &e.rxmtCnt, &e.rxmtThresh)
	}

	doClose, genEvent, flipped := t.updateStateMachine(c, e, peer, baseSeq, ackSeq, n, deltaLast, isOrig, flags, ts)
	if flipped {
		isOrig = !isOrig
		e, peer = c.ep(isOrig)
	}

	if flags.ack() {
		t.ackReceived(c, peer, !isOrig, relAck, ts)
	}

	// Count the packet (Zeek's ConnSize analyzer runs after the state update).
	e.pkts++
	e.ipBytes += uint64(p.IPTotalLen)

	// The first-packet bookkeeping of the protocol detector.
	if isOrig {
		c.firstSeen |= 1
	} else {
		c.firstSeen |= 2
	}

	relDataSeq := relSeq
	if flags.syn() {
		relDataSeq++
	}
	if n > 0 && !flags.rst() && !underflow {
		if p.Truncated || len(p.Payload) < n {
			t.weird(c, "truncated_tcp_payload", ts)
		} else {
			t.dataSent(c, e, isOrig, relDataSeq, n, p.Payload[:n], ts)
		}
	}

	if a := c.app; a != nil {
		a.ts = ts
		if flags.rst() {
			a.resetConn()
		}
		t.checkEOS(c, &c.orig, true)
		t.checkEOS(c, &c.resp, false)
	}

	if doClose {
		t.connectionClosed(c, e, peer, genEvent)
	}
}

// checkEOS tells the analyzers that a direction ended once its FIN was seen
// and every byte before it was delivered.
func (t *Tracker) checkEOS(c *Conn, e *endpoint, isOrig bool) {
	if e.finCnt > 0 && !c.app.eos[dir(isOrig)] && e.rs.lastReassem+1 >= e.finSeq {
		c.app.endOfStream(isOrig)
	}
}

func (t *Tracker) dataSent(c *Conn, e *endpoint, isOrig bool, seq uint64, n int, payload []byte, ts int64) {
	r := &e.rs
	if r.skip {
		return
	}
	ack := e.relSeq(e.ackSeq, e.ackWraps)
	up := seq + uint64(n)
	if seq < ack {
		if up <= ack {
			return
		}
		payload = payload[ack-seq:]
		n -= int(ack - seq)
		seq = ack
	}
	a := t.appFor(c)
	keep := a.wants(isOrig)
	var d deliverer = nopDeliverer{}
	if a != nil {
		a.ts = ts
		d = &a.deliv[dir(isOrig)]
	}
	dropped := r.dropped
	r.add(seq, n, payload, keep, &t.lim, d)
	if r.dropped != dropped {
		t.stats.ReassemblyRangesDropped += r.dropped - dropped
	}
	if e.noDataAcked() && t.cfg.MaxAboveHole > 0 && r.undeliveredBytes() > t.cfg.MaxAboveHole {
		t.weird(c, "above_hole_data_without_any_acks", ts)
		r.clear(&t.lim)
		r.skip = true
	}
}

func isClean(e *endpoint) bool {
	return e.state == tcpEstablished || (e.state == tcpClosed && e.prevState == tcpEstablished)
}

// ackReceived tells the reassembler of endpoint e (whose data the ack
// covers) that everything below seq was acknowledged.
func (t *Tracker) ackReceived(c *Conn, e *endpoint, eIsOrig bool, seq uint64, ts int64) {
	if e.finCnt > 0 && seq >= e.finSeq {
		seq = e.finSeq - 1
	}
	r := &e.rs
	if seq <= r.trimSeq {
		return
	}
	peer := &c.resp
	if e == &c.resp {
		peer = &c.orig
	}
	a := c.app
	keep := a.wants(eIsOrig)
	var d deliverer = nopDeliverer{}
	if a != nil {
		a.ts = ts
		d = &a.deliv[dir(eIsOrig)]
	}
	active := isClean(e) && isClean(peer)
	gap := false
	r.trimTo(seq, c.isPartial, keep, &t.lim, d, func(n uint64) {
		if active {
			c.scaledHistory(c.letter(eIsOrig, 'G'), &e.gapCnt, &e.gapThresh)
			c.missedBytes += n
			gap = true
		}
	})
	// Capture-loss accounting as Zeek's: acks on established connections,
	// and those that revealed data never seen.
	if active {
		t.acks.Add(1)
		if gap {
			t.gaps.Add(1)
		}
	}
}

func (t *Tracker) updateStateMachine(c *Conn, e, peer *endpoint, baseSeq, ackSeq uint32, n int, deltaLast int32,
	isOrig bool, f tcpFlags, ts int64) (doClose, genEvent, flipped bool) {
	switch e.state {
	case tcpInactive:
		return t.updateInactive(c, e, peer, baseSeq, ackSeq, n, isOrig, f, ts)
	case tcpSynSent, tcpSynAckSent:
		if f.syn() {
			if isOrig {
				if f.ack() && !f.fin() && !f.rst() && e.state != tcpSynAckSent {
					t.weird(c, "repeated_SYN_with_ack", ts)
				}
			} else if !f.ack() && e.state != tcpSynSent {
				t.weird(c, "repeated_SYN_reply_wo_ack", ts)
			}
		}
		if f.fin() {
			if peer.state == tcpInactive || peer.state == tcpSynSent {
				t.weird(c, "inappropriate_FIN", ts)
			}
			t.setState(c, e, tcpClosed)
			doClose, genEvent = true, true
		}
		if f.rst() {
			t.setState(c, e, tcpReset)
			c.isActive = false
			doClose = true
		} else if n > 0 {
			t.weird(c, "data_before_established", ts)
		}
	case tcpEstablished, tcpPartial:
		if f.syn() && e.state == tcpPartial && peer.state == tcpInactive && !f.ack() {
			t.weird(c, "SYN_after_partial", ts)
			t.setState(c, e, tcpSynSent)
		}
		if f.fin() && !f.rst() {
			t.setState(c, e, tcpClosed)
			if peer.state == tcpReset && peer.prevState == tcpClosed {
				t.setState(c, peer, tcpClosed)
			}
			doClose, genEvent = true, true
		}
		if f.rst() {
			t.setState(c, e, tcpReset)
			doClose = true
			if peer.state != tcpReset || peer.prevState != tcpEstablished {
				c.isActive = false
			}
		}
	case tcpClosed:
		if f.syn() {
			t.weird(c, "SYN_after_close", ts)
		}
		if f.fin() && deltaLast > 0 {
			t.weird(c, "FIN_advanced_last_seq", ts)
		}
		if f.rst() && peer.state != tcpClosed {
			t.setState(c, e, tcpReset)
			if !e.didClose {
				doClose = true
			}
		}
	case tcpReset:
		if f.syn() {
			t.weird(c, "SYN_after_reset", ts)
		}
		if f.fin() {
			t.weird(c, "FIN_after_reset", ts)
		}
		if n > 0 && !f.rst() {
			t.weird(c, "data_after_reset", ts)
		}
	}
	return doClose, genEvent, false
}

func (t *Tracker) updateInactive(c *Conn, e, peer *endpoint, baseSeq, ackSeq uint32, n int, isOrig bool,
	f tcpFlags, ts int64) (doClose, genEvent, flipped bool) {
	if f.syn() {
		if isOrig {
			if f.ack() {
				t.weird(c, "connection_originator_SYN_ack", ts)
				t.setState(c, e, tcpSynAckSent)
			} else {
				t.setState(c, e, tcpSynSent)
			}
			t.addTimer(c, timerAttempt, ts+int64(t.cfg.TCPAttemptDelay))
		} else {
			if f.ack() {
				if peer.state != tcpInactive && peer.state != tcpPartial && !seqBetween(ackSeq, peer.startSeq, peer.lastSeq) {
					t.weird(c, "bad_SYN_ack", ts)
				}
			} else if peer.state == tcpSynAckSent && baseSeq == e.startSeq {
				// A SYN/SYN-ACK reversal: flip and establish.
				c.isPartial = false
				c.flipRoles()
				// After the flip, e is the originator's endpoint struct
				// content-wise but the pointers still address the same
				// slots: re-resolve.
				isOrig = !isOrig
				flipped = true
				e, peer = c.ep(isOrig)
				t.setState(c, peer, tcpEstablished)
				c.firstSeen |= 1
			} else {
				t.weird(c, "simultaneous_open", ts)
			}
			if peer.state == tcpSynSent {
				t.setState(c, peer, tcpEstablished)
			} else if peer.state == tcpInactive {
				t.weird(c, "unsolicited_SYN_response", ts)
			}
			t.setState(c, e, tcpEstablished)
		}
	}
	if f.fin() {
		t.setState(c, e, tcpClosed)
		doClose, genEvent = true, true
		if peer.state != tcpPartial && !f.syn() {
			t.weird(c, "spontaneous_FIN", ts)
		}
	}
	if f.rst() {
		t.setState(c, e, tcpReset)
		isReject := false
		if isOrig {
			isReject = peer.state == tcpEstablished
		} else {
			isReject = peer.state == tcpSynSent || peer.state == tcpSynAckSent
		}
		doClose = true
		genEvent = !isReject
		if !isReject && peer.state == tcpInactive {
			t.weird(c, "spontaneous_RST", ts)
		}
	}
	if e.state == tcpInactive {
		switch {
		case !isOrig && n == 0 && c.orig.state == tcpSynSent:
			// An ack of the SYN before the SYN-ACK: not a partial connection.
		case f.ack() && peer.state == tcpEstablished:
			t.setState(c, e, tcpEstablished)
			c.isPartial = false
			if isOrig {
				c.firstSeen |= 1
			} else {
				c.firstSeen |= 2
			}
		default:
			t.setState(c, e, tcpPartial)
		}
	}
	return doClose, genEvent, flipped
}

func isHandshake(s tcpState) bool {
	return s == tcpInactive || s == tcpSynSent || s == tcpSynAckSent
}

// setState changes an endpoint's state; finishing the handshake switches
// the connection to the TCP inactivity timeout (TCP_Endpoint::SetState).
func (t *Tracker) setState(c *Conn, e *endpoint, s tcpState) {
	if s == e.state {
		return
	}
	peer := &c.resp
	if e == &c.resp {
		peer = &c.orig
	}
	if !isHandshake(s) && isHandshake(e.state) && isHandshake(peer.state) {
		t.setInactivity(c, int64(t.cfg.TCPInactivity))
	}
	e.setState(s)
}

// connectionClosed is Zeek's TCPSessionAdapter::ConnectionClosed, without
// the analyzer notifications.
func (t *Tracker) connectionClosed(c *Conn, e, peer *endpoint, genEvent bool) {
	if e.didClose {
		return
	}
	e.didClose = true
	complete := e.state == tcpReset || peer.didClose || peer.state == tcpInactive
	if complete {
		if e.prevState != tcpInactive || peer.state != tcpInactive {
			c.isActive = false
		}
		t.cancelTimers(c)
		t.addTimerForce(c, timerDelete, c.last+int64(t.cfg.TCPCloseDelay))
		return
	}
	if e.prevState != tcpInactive {
		t.addTimer(c, timerExpire, c.last+int64(t.cfg.TCPSessionTimer))
	}
}

// tcpExpire is Zeek's TCPSessionAdapter::ExpireTimer, run at time now.
func (t *Tracker) tcpExpire(c *Conn, now int64) {
	if !c.isActive {
		return
	}
	o, r := &c.orig, &c.resp
	if c.last+int64(t.cfg.TCPLinger) < now {
		if o.didClose || r.didClose {
			if (o.didClose && r.didClose) || o.state == tcpReset || r.state == tcpReset ||
				o.state == tcpInactive || r.state == tcpInactive {
				c.isActive = false
				t.remove(c, now)
				return
			}
		}
		if r.state == tcpInactive && o.state == tcpInactive {
			t.remove(c, now)
			return
		}
	}
	t.addTimer(c, timerExpire, now+int64(t.cfg.TCPSessionTimer))
}

// tcpAttempt is Zeek's AttemptTimer: a SYN that was never answered.
func (t *Tracker) tcpAttempt(c *Conn, now int64) {
	if !c.isActive {
		return
	}
	if (c.orig.state == tcpSynSent || c.orig.state == tcpSynAckSent) && c.resp.state == tcpInactive {
		c.isActive = false
		t.remove(c, now)
	}
}
