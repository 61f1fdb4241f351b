// Package wire encodes and decodes the Batch message of the plugin protocol
// (sdk/proto/weir/v1) by hand, straight between the typed events of
// sdk/event and protobuf bytes.
//
// Batches are the hot path: a plugin receives every event of its
// subscriptions through them, and protobuf decoding is what limits the
// event rate (see PERF-NOTES). The generated code in sdk/internal/pb would
// allocate a message per event, a string per string field and then need a
// conversion into sdk/event. This package decodes a whole batch with a
// handful of allocations (the events, one slab per payload type, one
// string arena), its strings and byte slices pointing into the batch's own
// buffer; it encodes without allocating. The bytes are those the
// generated code reads and writes: tests check both directions against
// sdk/internal/pb, so other languages keep using the .proto files.
//
// The other messages of the protocol are rare and use the generated code.
package wire

import (
	"net/netip"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirnet/weir/sdk/event"
)

// Field numbers of sdk/proto/weir/v1/{plugin,event}.proto.
const (
	batchSeq    = 1
	batchEvents = 2
	batchSync   = 3
	batchRotate = 4
	batchRotTS  = 5

	evKind  = 1
	evTime  = 2
	evKey   = 3
	evSeq   = 4
	evConn  = 10
	evWeird = 11
	evData  = 12

	idOrigH = 1
	idRespH = 2
	idOrigP = 3
	idRespP = 4
	idProto = 5

	connUID          = 1
	connID           = 2
	connStart        = 3
	connDuration     = 4
	connOrigBytes    = 5
	connRespBytes    = 6
	connState        = 7
	connLocalOrig    = 8
	connLocalResp    = 9
	connMissedBytes  = 10
	connHistory      = 11
	connOrigPkts     = 12
	connOrigIPBytes  = 13
	connRespPkts     = 14
	connRespIPBytes  = 15
	connIPProto      = 16
	connService      = 17
	connTunnel       = 18
	connCommunityID  = 19
	connVLAN         = 20
	connInnerVLAN    = 21
	weirdTS          = 1
	weirdUID         = 2
	weirdID          = 3
	weirdName        = 4
	weirdAddl        = 5
	weirdNotice      = 6
	weirdPeer        = 7
	weirdSource      = 8
	dataUID          = 1
	dataID           = 2
	dataIsOrig       = 3
	dataSeq          = 4
	dataGap          = 5
	dataBytes        = 6
	maxVarintLen     = 10
	seqPrefixReserve = 1 + maxVarintLen // tag and the longest varint
)

// Encoder builds one Batch message. The zero value is ready; Reset starts a
// message, Append adds events, Finish returns the bytes. An Encoder reuses
// its buffer across messages: the bytes Finish returns are valid until the
// next Reset.
type Encoder struct {
	buf      []byte
	n        int // events appended
	sc       protoScratch
	rotate   bool
	rotateTS int64
}

// Reset starts a new, empty message, keeping the buffer.
func (e *Encoder) Reset() {
	if cap(e.buf) < seqPrefixReserve {
		e.buf = make([]byte, seqPrefixReserve, 64<<10)
	}
	// The sequence number is written in front of the events by Finish,
	// right-aligned in the reserved prefix.
	e.buf = e.buf[:seqPrefixReserve]
	e.n = 0
	e.rotate, e.rotateTS = false, 0
}

// Rotate asks the plugin to rotate its logs at network time ts after the
// message's events (Batch.rotate). Finish then sets sync as well, which a
// rotating batch always has.
func (e *Encoder) Rotate(ts int64) { e.rotate, e.rotateTS = true, ts }

// Len returns the number of events appended since Reset.
func (e *Encoder) Len() int { return e.n }

// Size returns the number of bytes appended since Reset.
func (e *Encoder) Size() int { return len(e.buf) - seqPrefixReserve }

// Append adds one event. Unknown kinds and missing payloads are encoded as
// they are: the event without a payload.
func (e *Encoder) Append(ev *event.Event) {
	if len(e.buf) < seqPrefixReserve {
		e.Reset()
	}
	p, ok := e.sc.build(ev)
	pp := &p
	if !ok {
		pp = nil
	}
	e.buf = appendTag(e.buf, batchEvents, protowire.BytesType)
	e.buf = appendUvarint(e.buf, uint64(eventSize(ev, pp)))
	e.buf = appendEvent(e.buf, ev, pp)
	e.n++
}

// Finish completes the message with its sequence number and sync flag and
// returns it. The result aliases the Encoder's buffer: it is valid until the
// next Reset, and Finish must be called once per Reset.
func (e *Encoder) Finish(seq uint64, sync bool) []byte {
	if len(e.buf) < seqPrefixReserve {
		e.Reset()
	}
	if sync || e.rotate {
		e.buf = appendTag(e.buf, batchSync, protowire.VarintType)
		e.buf = appendUvarint(e.buf, 1)
	}
	if e.rotate {
		e.buf = AppendRotate(e.buf, e.rotateTS)
	}
	start := seqPrefixReserve
	if seq != 0 {
		start -= 1 + protowire.SizeVarint(seq)
		b := appendTag(e.buf[start:start], batchSeq, protowire.VarintType)
		appendUvarint(b, seq)
	}
	return e.buf[start:]
}

// AppendBatch appends a complete Batch message holding events to b.
func AppendBatch(b []byte, seq uint64, sync bool, events []event.Event) []byte {
	var sc protoScratch
	if seq != 0 {
		b = appendTag(b, batchSeq, protowire.VarintType)
		b = appendUvarint(b, seq)
	}
	for i := range events {
		p, ok := sc.build(&events[i])
		pp := &p
		if !ok {
			pp = nil
		}
		b = appendTag(b, batchEvents, protowire.BytesType)
		b = appendUvarint(b, uint64(eventSize(&events[i], pp)))
		b = appendEvent(b, &events[i], pp)
	}
	if sync {
		b = appendTag(b, batchSync, protowire.VarintType)
		b = appendUvarint(b, 1)
	}
	return b
}

// AppendRotate appends the fields that ask for a rotation at network time
// ts to a Batch message (AppendBatch's, with sync set: a rotating batch is
// a sync batch). Protobuf lets fields come in any order.
func AppendRotate(b []byte, ts int64) []byte {
	b = appendTag(b, batchRotate, protowire.VarintType)
	b = appendUvarint(b, 1)
	if ts != 0 {
		b = appendTag(b, batchRotTS, protowire.VarintType)
		b = appendUvarint(b, uint64(ts))
	}
	return b
}

// Helpers for proto3 scalars: zero values are not written. The varint and
// tag writers are small enough to be inlined, unlike protowire's.

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, num protowire.Number, typ protowire.Type) []byte {
	return appendUvarint(b, uint64(num)<<3|uint64(typ))
}

func sizeFixed64(num protowire.Number, v int64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + 8
}

func appendFixed64(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.Fixed64Type)
	u := uint64(v)
	return append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24), byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
}

func sizeVarint(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return appendUvarint(b, v)
}

func sizeBool(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return protowire.SizeTag(num) + 1
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	b = appendTag(b, num, protowire.VarintType)
	return append(b, 1)
}

func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func sizeBytes(num protowire.Number, v []byte) int {
	if len(v) == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(v))
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = appendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// sizeMessage is the size of an embedded message field of n bytes; an
// embedded message is written even when empty (presence).
func sizeMessage(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

func appendMessageHeader(b []byte, num protowire.Number, n int) []byte {
	b = appendTag(b, num, protowire.BytesType)
	return appendUvarint(b, uint64(n))
}

func addrLen(a netip.Addr) int {
	switch {
	case a.Is4():
		return 4
	case a.IsValid():
		return 16
	}
	return 0
}

func sizeAddr(num protowire.Number, a netip.Addr) int {
	n := addrLen(a)
	if n == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

func appendAddr(b []byte, num protowire.Number, a netip.Addr) []byte {
	n := addrLen(a)
	if n == 0 {
		return b
	}
	b = appendTag(b, num, protowire.BytesType)
	b = append(b, byte(n))
	if n == 4 {
		v := a.As4()
		return append(b, v[:]...)
	}
	v := a.As16()
	return append(b, v[:]...)
}

func connIDSize(id *event.ConnID) int {
	return sizeAddr(idOrigH, id.OrigH) + sizeAddr(idRespH, id.RespH) +
		sizeVarint(idOrigP, uint64(id.OrigP)) + sizeVarint(idRespP, uint64(id.RespP)) +
		sizeVarint(idProto, uint64(id.Proto))
}

func appendConnID(b []byte, id *event.ConnID) []byte {
	b = appendAddr(b, idOrigH, id.OrigH)
	b = appendAddr(b, idRespH, id.RespH)
	b = appendVarint(b, idOrigP, uint64(id.OrigP))
	b = appendVarint(b, idRespP, uint64(id.RespP))
	return appendVarint(b, idProto, uint64(id.Proto))
}

func sizeStrings(num protowire.Number, ss []string) int {
	n := 0
	for _, s := range ss {
		// Repeated strings are written even when empty.
		n += protowire.SizeTag(num) + protowire.SizeBytes(len(s))
	}
	return n
}

func appendStrings(b []byte, num protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = appendTag(b, num, protowire.BytesType)
		b = appendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func connSize(c *event.Conn) int {
	return sizeString(connUID, c.UID) +
		sizeMessage(connID, connIDSize(&c.ID)) +
		sizeFixed64(connStart, c.Start) +
		sizeVarint(connDuration, uint64(c.Duration)) +
		sizeVarint(connOrigBytes, c.OrigBytes) +
		sizeVarint(connRespBytes, c.RespBytes) +
		sizeString(connState, c.ConnState) +
		sizeVarint(connLocalOrig, uint64(c.LocalOrig)) +
		sizeVarint(connLocalResp, uint64(c.LocalResp)) +
		sizeVarint(connMissedBytes, c.MissedBytes) +
		sizeString(connHistory, c.History) +
		sizeVarint(connOrigPkts, c.OrigPkts) +
		sizeVarint(connOrigIPBytes, c.OrigIPBytes) +
		sizeVarint(connRespPkts, c.RespPkts) +
		sizeVarint(connRespIPBytes, c.RespIPBytes) +
		sizeVarint(connIPProto, uint64(c.IPProto)) +
		sizeStrings(connService, c.Service) +
		sizeStrings(connTunnel, c.TunnelParents) +
		sizeString(connCommunityID, c.CommunityID) +
		sizeVarint(connVLAN, uint64(c.VLAN)) +
		sizeVarint(connInnerVLAN, uint64(c.InnerVLAN))
}

func appendConn(b []byte, c *event.Conn) []byte {
	b = appendString(b, connUID, c.UID)
	b = appendMessageHeader(b, connID, connIDSize(&c.ID))
	b = appendConnID(b, &c.ID)
	b = appendFixed64(b, connStart, c.Start)
	b = appendVarint(b, connDuration, uint64(c.Duration))
	b = appendVarint(b, connOrigBytes, c.OrigBytes)
	b = appendVarint(b, connRespBytes, c.RespBytes)
	b = appendString(b, connState, c.ConnState)
	b = appendVarint(b, connLocalOrig, uint64(c.LocalOrig))
	b = appendVarint(b, connLocalResp, uint64(c.LocalResp))
	b = appendVarint(b, connMissedBytes, c.MissedBytes)
	b = appendString(b, connHistory, c.History)
	b = appendVarint(b, connOrigPkts, c.OrigPkts)
	b = appendVarint(b, connOrigIPBytes, c.OrigIPBytes)
	b = appendVarint(b, connRespPkts, c.RespPkts)
	b = appendVarint(b, connRespIPBytes, c.RespIPBytes)
	b = appendVarint(b, connIPProto, uint64(c.IPProto))
	b = appendStrings(b, connService, c.Service)
	b = appendStrings(b, connTunnel, c.TunnelParents)
	b = appendString(b, connCommunityID, c.CommunityID)
	b = appendVarint(b, connVLAN, uint64(c.VLAN))
	return appendVarint(b, connInnerVLAN, uint64(c.InnerVLAN))
}

func weirdSize(w *event.Weird) int {
	n := sizeFixed64(weirdTS, w.TS) + sizeString(weirdUID, w.UID) +
		sizeString(weirdName, w.Name) + sizeString(weirdAddl, w.Addl) +
		sizeBool(weirdNotice, w.Notice) + sizeString(weirdPeer, w.Peer) +
		sizeString(weirdSource, w.Source)
	if w.ID != nil {
		n += sizeMessage(weirdID, connIDSize(w.ID))
	}
	return n
}

func appendWeird(b []byte, w *event.Weird) []byte {
	b = appendFixed64(b, weirdTS, w.TS)
	b = appendString(b, weirdUID, w.UID)
	if w.ID != nil {
		b = appendMessageHeader(b, weirdID, connIDSize(w.ID))
		b = appendConnID(b, w.ID)
	}
	b = appendString(b, weirdName, w.Name)
	b = appendString(b, weirdAddl, w.Addl)
	b = appendBool(b, weirdNotice, w.Notice)
	b = appendString(b, weirdPeer, w.Peer)
	return appendString(b, weirdSource, w.Source)
}

func dataSize(d *event.Data) int {
	return sizeString(dataUID, d.UID) + sizeMessage(dataID, connIDSize(&d.ID)) +
		sizeBool(dataIsOrig, d.IsOrig) + sizeVarint(dataSeq, d.Seq) +
		sizeVarint(dataGap, d.Gap) + sizeBytes(dataBytes, d.Bytes)
}

func appendData(b []byte, d *event.Data) []byte {
	b = appendString(b, dataUID, d.UID)
	b = appendMessageHeader(b, dataID, connIDSize(&d.ID))
	b = appendConnID(b, &d.ID)
	b = appendBool(b, dataIsOrig, d.IsOrig)
	b = appendVarint(b, dataSeq, d.Seq)
	b = appendVarint(b, dataGap, d.Gap)
	return appendBytesField(b, dataBytes, d.Bytes)
}

// eventSize is the size of ev's message; p is its protocol payload, built,
// or nil.
func eventSize(ev *event.Event, p *payload) int {
	n := sizeVarint(evKind, uint64(ev.Kind)) + sizeFixed64(evTime, ev.Time) +
		sizeString(evKey, ev.Key) + sizeVarint(evSeq, ev.Seq)
	switch {
	case ev.Conn != nil:
		n += sizeMessage(evConn, connSize(ev.Conn))
	case ev.Weird != nil:
		n += sizeMessage(evWeird, weirdSize(ev.Weird))
	case ev.Data != nil:
		n += sizeMessage(evData, dataSize(ev.Data))
	case p != nil:
		n += sizeMessage(protowire.Number(p.num), p.size)
	}
	return n
}

// appendEvent writes the event's fields. The payload is the first non-nil
// pointer, as the oneof allows only one; p is the protocol payload, built
// by protoScratch.build, or nil.
func appendEvent(b []byte, ev *event.Event, p *payload) []byte {
	b = appendVarint(b, evKind, uint64(ev.Kind))
	b = appendFixed64(b, evTime, ev.Time)
	b = appendString(b, evKey, ev.Key)
	b = appendVarint(b, evSeq, ev.Seq)
	switch {
	case ev.Conn != nil:
		b = appendMessageHeader(b, evConn, connSize(ev.Conn))
		b = appendConn(b, ev.Conn)
	case ev.Weird != nil:
		b = appendMessageHeader(b, evWeird, weirdSize(ev.Weird))
		b = appendWeird(b, ev.Weird)
	case ev.Data != nil:
		b = appendMessageHeader(b, evData, dataSize(ev.Data))
		b = appendData(b, ev.Data)
	case p != nil:
		b = appendPayload(b, p)
	}
	return b
}
