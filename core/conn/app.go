package conn

import (
	"slices"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// app is the application-layer state of a connection: protocol detection
// (Zeek's DPD idea: port hints start an analyzer at once, content checks
// on the first bytes of each direction start the others) and the sessions
// of the analyzers that were started. It exists only for connections that
// carry payload and only while analyzers are configured.
type app struct {
	t        *Tracker
	c        *Conn
	sessions []appSession
	cands    []candidate
	detect   [2][]byte // first bytes per direction while detecting (TCP)
	dgrams   [2]int    // datagrams examined per direction while detecting (UDP)
	services []string  // confirmed, in confirmation order
	ts       int64     // network time of the data being delivered
	deliv    [2]streamDeliverer
	tap      bool // publish raw StreamData/Datagram events for plugins
	tapSeq   [2]uint64

	detectGen uint32 // bumped by Redetect: the segment being delivered is not re-examined
	flipped   bool   // a session flipped the roles during the current datagram

	// An analyzer's idle expiry (ExpireIdle): the session that asked, how
	// often to check, how idle the connection must be, and the timer's
	// generation.
	expBy           string
	expEvery, expIn int64
	expGen          uint32
	eos             [2]bool
	reset           bool
}

// Tap asks for raw payload events (StreamData for TCP, Datagram for UDP) of
// connections to the given responder ports or with the given confirmed
// services; plugins that analyze their own protocols subscribe this way.
type Tap struct {
	Transport analyzer.Transport
	Ports     []uint16
	Services  []string
}

// publish emits a raw data event; the bytes are copied (the event owns them).
func (a *app) publish(kind event.Kind, isOrig bool, b []byte, gap uint64) {
	d := dir(isOrig)
	ev := event.Event{Kind: kind, Data: &event.Data{UID: a.c.uid, ID: a.c.connID(), IsOrig: isOrig,
		Seq: a.tapSeq[d], Gap: gap, Bytes: append([]byte(nil), b...)}}
	a.tapSeq[d] += gap + uint64(len(b))
	(*appSink)(a).Emit(ev)
}

// tapServices turns the tap on when a confirmed service is tapped.
func (a *app) tapServices() {
	if a.tap {
		return
	}
	for i := range a.t.cfg.Taps {
		for _, s := range a.t.cfg.Taps[i].Services {
			if slices.Contains(a.services, s) {
				a.tap = true
				return
			}
		}
	}
}

type appSession struct {
	name string
	s    analyzer.Session
	conn *analyzer.Conn // the session's view, updated on a flip
	skip [2]bool
	dead bool
}

type candidate struct {
	a  analyzer.Analyzer
	no [2]bool // NoMatch seen for the direction
}

const maxDetectDatagrams = 4

func dir(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}

func newAppState(t *Tracker, c *Conn) *app {
	a := &app{t: t, c: c}
	a.deliv[0] = streamDeliverer{a, true}
	a.deliv[1] = streamDeliverer{a, false}
	return a
}

// newApp starts detection for c, or returns nil when no analyzer applies.
func (t *Tracker) newApp(c *Conn) *app {
	var tr analyzer.Transport
	switch c.transport {
	case event.TransportTCP:
		tr = analyzer.TCP
	case event.TransportUDP:
		tr = analyzer.UDP
	default:
		return nil
	}
	_, rp := c.respEP()
	var a *app
	for i := range t.cfg.Taps {
		tp := &t.cfg.Taps[i]
		if tp.Transport&tr == 0 {
			continue
		}
		if slices.Contains(tp.Ports, rp) {
			if a == nil {
				a = newAppState(t, c)
			}
			a.tap = true
		}
	}
	for _, an := range t.analyzers {
		if an.Transports()&tr == 0 {
			continue
		}
		if hr, ok := an.(analyzer.HandshakeRequirer); ok && hr.RequiresHandshake() && tr == analyzer.TCP && c.isPartial {
			continue
		}
		if a == nil {
			a = newAppState(t, c)
		}
		if slices.Contains(an.Ports(), rp) {
			a.start(an)
		} else {
			a.cands = append(a.cands, candidate{a: an})
		}
	}
	return a
}

func (a *app) start(an analyzer.Analyzer) *appSession {
	conn := analyzer.NewConn(a.c.uid, a.c.connID(), a.c.start, an.Name(), (*appSink)(a))
	a.sessions = append(a.sessions, appSession{name: an.Name(), s: an.NewSession(conn), conn: conn})
	return &a.sessions[len(a.sessions)-1]
}

// wants reports whether anyone needs the bytes of a direction.
func (a *app) wants(isOrig bool) bool {
	if a == nil {
		return false
	}
	if len(a.cands) > 0 || a.tap {
		return true
	}
	d := dir(isOrig)
	for i := range a.sessions {
		if !a.sessions[i].dead && !a.sessions[i].skip[d] {
			return true
		}
	}
	return false
}

// stream delivers in-order TCP bytes of one direction.
func (a *app) stream(isOrig bool, b []byte) {
	d := dir(isOrig)
	if a.tap {
		a.publish(event.KindStreamData, isOrig, b, 0)
	}
	gen := a.detectGen
	n := len(a.sessions)
	for i := 0; i < n; i++ {
		s := &a.sessions[i]
		if !s.dead && !s.skip[d] {
			s.s.Stream(a.ts, isOrig, b)
		}
	}
	if len(a.cands) == 0 || gen != a.detectGen {
		return
	}
	if room := analyzer.DetectBytes - len(a.detect[d]); room > 0 {
		a.detect[d] = append(a.detect[d], b[:min(room, len(b))]...)
	}
	full := len(a.detect[d]) >= analyzer.DetectBytes
	for i := 0; i < len(a.cands); i++ {
		cd := &a.cands[i]
		if cd.no[d] {
			continue
		}
		switch cd.a.Detect(isOrig, a.detect[d]) {
		case analyzer.Match:
			an := cd.a
			a.cands = slices.Delete(a.cands, i, i+1)
			i--
			a.start(an)
			idx := len(a.sessions) - 1
			// Replay what the detector buffered, originator first. The
			// session may start others (sessions can move): index, not
			// pointer; and it may skip or fail on the way.
			for dd, isO := range [2]bool{true, false} {
				if s := &a.sessions[idx]; len(a.detect[dd]) > 0 && !s.dead && !s.skip[dd] {
					s.s.Stream(a.ts, isO, a.detect[dd])
				}
			}
		case analyzer.NoMatch:
			cd.no[d] = true
		default:
			if full {
				cd.no[d] = true
			}
		}
	}
	a.pruneCands()
}

// pruneCands drops candidates that failed on both directions.
func (a *app) pruneCands() {
	a.cands = slices.DeleteFunc(a.cands, func(cd candidate) bool { return cd.no[0] && cd.no[1] })
	if len(a.cands) == 0 {
		a.detect[0], a.detect[1] = nil, nil
	}
}

// gap tells sessions about missing bytes; detection gives up on the
// direction (its first bytes are no longer contiguous).
func (a *app) gap(isOrig bool, n uint64) {
	d := dir(isOrig)
	if a.tap {
		a.publish(event.KindStreamData, isOrig, nil, n)
	}
	for i := range a.sessions {
		s := &a.sessions[i]
		if !s.dead && !s.skip[d] {
			s.s.Gap(a.ts, isOrig, n)
		}
	}
	for i := range a.cands {
		a.cands[i].no[d] = true
	}
	a.pruneCands()
}

// datagram delivers one UDP payload.
func (a *app) datagram(isOrig bool, b []byte) {
	d := dir(isOrig)
	if a.tap {
		a.publish(event.KindDatagram, isOrig, b, 0)
	}
	n := len(a.sessions)
	for i := 0; i < n; i++ {
		s := &a.sessions[i]
		if !s.dead && !s.skip[d] {
			s.s.Datagram(a.ts, isOrig, b)
		}
	}
	if len(a.cands) == 0 {
		return
	}
	a.dgrams[d]++
	for i := 0; i < len(a.cands); i++ {
		cd := &a.cands[i]
		if cd.no[d] {
			continue
		}
		switch cd.a.Detect(isOrig, b) {
		case analyzer.Match:
			an := cd.a
			a.cands = slices.Delete(a.cands, i, i+1)
			i--
			a.start(an).s.Datagram(a.ts, isOrig, b)
		case analyzer.NoMatch:
			cd.no[d] = true
		default:
			if a.dgrams[d] >= maxDetectDatagrams {
				cd.no[d] = true
			}
		}
	}
	a.pruneCands()
}

func (a *app) end(ts int64) {
	for i := range a.sessions {
		if !a.sessions[i].dead {
			a.sessions[i].s.End(ts)
		}
	}
}

// appSink is how sessions report; it is the app under another name so no
// extra allocation is needed.
type appSink app

func (s *appSink) Emit(ev event.Event) {
	a := (*app)(s)
	if ev.Time == 0 {
		ev.Time = a.ts
	}
	a.c.evSeq++
	ev.Key, ev.Seq = a.c.uid, a.c.evSeq
	a.t.out = append(a.t.out, ev)
}

func (s *appSink) Confirm(service string) {
	a := (*app)(s)
	if !slices.Contains(a.services, service) {
		a.services = append(a.services, service)
		a.tapServices()
	}
}

func (s *appSink) Violation(service, reason string) {
	a := (*app)(s)
	if o, r := a.c.sizes(); a.t.cfg.IgnoreViolationsAfter > 0 && o+r > a.t.cfg.IgnoreViolationsAfter {
		a.t.stats.ViolationsIgnored++
		return
	}
	for i := range a.sessions {
		if a.sessions[i].name == service && !a.sessions[i].dead {
			a.sessions[i].dead = true
			a.sessions[i].s.End(a.ts)
		}
	}
	a.services = slices.DeleteFunc(a.services, func(s string) bool { return s == service })
	a.t.stats.Violations++
}

func (s *appSink) Weird(name, addl string, ts int64) {
	a := (*app)(s)
	if ts == 0 {
		ts = a.ts
	}
	a.t.weirdAddl(a.c, name, addl, ts)
}

func (s *appSink) Skip(service string, isOrig bool) {
	a := (*app)(s)
	for i := range a.sessions {
		if a.sessions[i].name == service {
			a.sessions[i].skip[dir(isOrig)] = true
		}
	}
}

// streamDeliverer adapts an endpoint's reassembler output to the app.
type streamDeliverer struct {
	a      *app
	isOrig bool
}

func (d streamDeliverer) data(seq uint64, b []byte) { d.a.stream(d.isOrig, b) }
func (d streamDeliverer) gap(seq, n uint64)         { d.a.gap(d.isOrig, n) }

// nopDeliverer is used when no analyzer is attached.
type nopDeliverer struct{}

func (nopDeliverer) data(uint64, []byte) {}
func (nopDeliverer) gap(uint64, uint64)  {}

func (s *appSink) Start(name string) bool {
	a := (*app)(s)
	if a.running(name) {
		return true
	}
	for _, an := range a.t.analyzers {
		if an.Name() == name {
			a.start(an)
			return true
		}
	}
	return false
}

// ExpireIdle implements analyzer.IdleExpirer: the first check is every
// after the connection's last activity (the packet being delivered).
func (s *appSink) ExpireIdle(service string, every, idle int64) {
	a := (*app)(s)
	a.expBy, a.expEvery, a.expIn = service, every, idle
	a.expGen++
	a.t.pushTimer(a.c, timerAppExpire, a.expGen, a.c.last+every)
}

// expire is an analyzer's idle expiry timer firing at now: the
// connection is removed if it has been idle long enough, else the check
// is made again an interval later.
func (a *app) expire(gen uint32, now int64) {
	if gen != a.expGen || !a.running(a.expBy) {
		return // replaced, or its session is gone
	}
	if now-a.c.last >= a.expIn {
		a.t.remove(a.c, now)
		return
	}
	a.t.pushTimer(a.c, timerAppExpire, a.expGen, now+a.expEvery)
}

// running reports whether the named session is attached and alive.
func (a *app) running(name string) bool {
	for i := range a.sessions {
		if a.sessions[i].name == name && !a.sessions[i].dead {
			return true
		}
	}
	return false
}

// FlipRoles implements analyzer.RoleFlipper for UDP connections.
func (s *appSink) FlipRoles() bool {
	a := (*app)(s)
	if a.c.transport != event.TransportUDP {
		return false
	}
	a.c.flipRoles()
	a.flipped = true
	id := a.c.connID()
	for i := range a.sessions {
		a.sessions[i].conn.ID = id
	}
	return true
}

func (s *appSink) Redetect() {
	a := (*app)(s)
	var tr analyzer.Transport = analyzer.TCP
	if a.c.transport == event.TransportUDP {
		tr = analyzer.UDP
	}
	a.cands = a.cands[:0]
	a.detect[0], a.detect[1] = nil, nil
	a.dgrams = [2]int{}
	a.detectGen++
	for _, an := range a.t.analyzers {
		if an.Transports()&tr == 0 {
			continue
		}
		if !a.running(an.Name()) {
			a.cands = append(a.cands, candidate{a: an})
		}
	}
}

// endOfStream tells sessions that a direction's stream ended in order.
func (a *app) endOfStream(isOrig bool) {
	d := dir(isOrig)
	if a.eos[d] {
		return
	}
	a.eos[d] = true
	for i := range a.sessions {
		s := &a.sessions[i]
		if se, ok := s.s.(analyzer.StreamEnder); ok && !s.dead {
			se.EndOfStream(a.ts, isOrig)
		}
	}
}

// resetConn tells sessions the connection was reset.
func (a *app) resetConn() {
	if a.reset {
		return
	}
	a.reset = true
	for i := range a.sessions {
		s := &a.sessions[i]
		if se, ok := s.s.(analyzer.StreamEnder); ok && !s.dead {
			se.Reset(a.ts)
		}
	}
}
