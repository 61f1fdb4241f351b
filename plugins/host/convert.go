package host

import (
	"github.com/weirnet/weir/core/event"
	sdkevent "github.com/weirnet/weir/sdk/event"
)

// Conversion between the core's events (core/event) and the SDK's
// (sdk/event), which mirror them field for field. The core converts into
// reusable scratch values before encoding (no allocation); a built-in
// plugin served out of process converts back, into per-batch slabs the
// plugin may keep.
//
// Covered: ConnStart, ConnEnd, Weird, StreamData, Datagram.
//
// TODO when core/event's payloads are filled in (core/event/{http,ssh,tls,dns}.go):
//   - HTTPTransaction: message HTTP = 13 in event.proto, sdkevent.HTTP,
//     wire encode/decode (sdk/internal/wire), toSDK/fromSDK below.
//   - SSHHandshake: message SSH = 14, likewise.
//   - TLSHandshake: message TLS = 15, likewise.
//   - DNSMessage: message DNS = 16, likewise.
//     Until then events of these kinds reach a plugin without payload, so
//     plugins cannot usefully subscribe to them; TestConvertCoversCoreEvent
//     fails as soon as one of these structs gains a field, as a reminder.

// scratch holds the payloads of one converted event. toSDK points the
// converted event into it; the next call overwrites it.
type scratch struct {
	conn  sdkevent.Conn
	weird sdkevent.Weird
	id    sdkevent.ConnID
	data  sdkevent.Data
}

func idToSDK(id *event.ConnID) sdkevent.ConnID {
	return sdkevent.ConnID{OrigH: id.OrigH, RespH: id.RespH, OrigP: id.OrigP, RespP: id.RespP, Proto: sdkevent.Transport(id.Proto)}
}

func idFromSDK(id *sdkevent.ConnID) event.ConnID {
	return event.ConnID{OrigH: id.OrigH, RespH: id.RespH, OrigP: id.OrigP, RespP: id.RespP, Proto: event.Transport(id.Proto)}
}

// toSDK converts ev into dst, whose payload points into s. Strings and
// slices are shared with ev, not copied: dst is encoded before ev changes.
func toSDK(ev *event.Event, dst *sdkevent.Event, s *scratch) {
	*dst = sdkevent.Event{Kind: sdkevent.Kind(ev.Kind), Time: ev.Time, Key: ev.Key, Seq: ev.Seq}
	switch {
	case ev.Conn != nil:
		c := ev.Conn
		s.conn = sdkevent.Conn{
			UID: c.UID, ID: idToSDK(&c.ID), Start: c.Start, Duration: c.Duration,
			OrigBytes: c.OrigBytes, RespBytes: c.RespBytes, ConnState: c.ConnState,
			LocalOrig: sdkevent.Tristate(c.LocalOrig), LocalResp: sdkevent.Tristate(c.LocalResp),
			MissedBytes: c.MissedBytes, History: c.History, OrigPkts: c.OrigPkts,
			OrigIPBytes: c.OrigIPBytes, RespPkts: c.RespPkts, RespIPBytes: c.RespIPBytes,
			IPProto: c.IPProto, Service: c.Service, TunnelParents: c.TunnelParents,
			CommunityID: c.CommunityID, VLAN: c.VLAN, InnerVLAN: c.InnerVLAN,
		}
		dst.Conn = &s.conn
	case ev.Weird != nil:
		w := ev.Weird
		s.weird = sdkevent.Weird{TS: w.TS, UID: w.UID, Name: w.Name, Addl: w.Addl, Notice: w.Notice, Peer: w.Peer, Source: w.Source}
		if w.ID != nil {
			s.id = idToSDK(w.ID)
			s.weird.ID = &s.id
		}
		dst.Weird = &s.weird
	case ev.Data != nil:
		d := ev.Data
		s.data = sdkevent.Data{UID: d.UID, ID: idToSDK(&d.ID), IsOrig: d.IsOrig, Seq: d.Seq, Gap: d.Gap, Bytes: d.Bytes}
		dst.Data = &s.data
	}
}

// slabs allocates the core payloads of one batch converted back from the
// SDK's events: one allocation per payload type per batch.
type slabs struct {
	conns  []event.Conn
	weirds []event.Weird
	ids    []event.ConnID
	datas  []event.Data
}

func grow[T any](s *[]T, n int) *T {
	if len(*s) == cap(*s) {
		*s = make([]T, 0, n)
	}
	*s = (*s)[:len(*s)+1]
	return &(*s)[len(*s)-1]
}

// fromSDK converts a batch back into core events, appended to dst. The
// payloads are new (the plugin may keep them); strings and byte slices are
// shared with in, which the SDK gave away.
func fromSDK(dst []event.Event, in []sdkevent.Event) []event.Event {
	var sl slabs
	for i := range in {
		ev := &in[i]
		out := event.Event{Kind: event.Kind(ev.Kind), Time: ev.Time, Key: ev.Key, Seq: ev.Seq}
		left := len(in) - i
		switch {
		case ev.Conn != nil:
			c := ev.Conn
			p := grow(&sl.conns, left)
			*p = event.Conn{
				UID: c.UID, ID: idFromSDK(&c.ID), Start: c.Start, Duration: c.Duration,
				OrigBytes: c.OrigBytes, RespBytes: c.RespBytes, ConnState: c.ConnState,
				LocalOrig: event.Tristate(c.LocalOrig), LocalResp: event.Tristate(c.LocalResp),
				MissedBytes: c.MissedBytes, History: c.History, OrigPkts: c.OrigPkts,
				OrigIPBytes: c.OrigIPBytes, RespPkts: c.RespPkts, RespIPBytes: c.RespIPBytes,
				IPProto: c.IPProto, Service: c.Service, TunnelParents: c.TunnelParents,
				CommunityID: c.CommunityID, VLAN: c.VLAN, InnerVLAN: c.InnerVLAN,
			}
			out.Conn = p
		case ev.Weird != nil:
			w := ev.Weird
			p := grow(&sl.weirds, left)
			*p = event.Weird{TS: w.TS, UID: w.UID, Name: w.Name, Addl: w.Addl, Notice: w.Notice, Peer: w.Peer, Source: w.Source}
			if w.ID != nil {
				id := grow(&sl.ids, left)
				*id = idFromSDK(w.ID)
				p.ID = id
			}
			out.Weird = p
		case ev.Data != nil:
			d := ev.Data
			p := grow(&sl.datas, left)
			*p = event.Data{UID: d.UID, ID: idFromSDK(&d.ID), IsOrig: d.IsOrig, Seq: d.Seq, Gap: d.Gap, Bytes: d.Bytes}
			out.Data = p
		}
		dst = append(dst, out)
	}
	return dst
}
