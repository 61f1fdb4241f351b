package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/weirnet/weir/sdk/event"
)

// ErrMalformed wraps every decoding error.
var ErrMalformed = errors.New("wire: malformed batch")

// MaxBatchEvents bounds the events of one batch a decoder accepts, so that a
// hostile or broken peer cannot make it allocate without bound. The core
// sends at most a few thousand.
const MaxBatchEvents = 1 << 20

// Batch is a decoded Batch message.
type Batch struct {
	Seq    uint64
	Sync   bool
	Events []event.Event
	// Rotate asks for the logs to be rotated at network time RotateTS
	// after Events.
	Rotate   bool
	RotateTS int64
}

// Decode decodes a Batch message. The events' strings and byte slices point
// into data, which the caller gives up: it must not be modified afterwards
// (the events may be kept indefinitely). Decode allocates the event slice,
// one slab per payload type and one slab for repeated strings; nothing per
// event.
//
// Unknown fields are skipped, as protobuf requires, so that a newer core can
// add fields; so is a known field with another wire type, as the generated
// code does. A truncated field, an invalid field number or an address that
// is neither 4 nor 16 bytes is an error.
func Decode(data []byte) (Batch, error) {
	var b Batch
	// First pass: count the events, for exact allocations.
	n := 0
	for i := 0; i < len(data); {
		tag, j := varintAt(data, i)
		if j < 0 {
			return b, bad("batch")
		}
		if tag == tagOf(batchEvents, protowire.BytesType) {
			n++
		}
		if i = skipAt(data, j, tag); i < 0 {
			return b, bad("batch")
		}
	}
	if n > MaxBatchEvents {
		return b, fmt.Errorf("%w: %d events, more than %d", ErrMalformed, n, MaxBatchEvents)
	}
	d := decoder{remaining: n}
	if n > 0 {
		b.Events = make([]event.Event, 0, n)
	}
	for i := 0; i < len(data); {
		tag, j := varintAt(data, i)
		i = j
		var v uint64
		switch tag {
		case tagOf(batchSeq, protowire.VarintType):
			b.Seq, i = varintAt(data, i)
		case tagOf(batchSync, protowire.VarintType):
			v, i = varintAt(data, i)
			b.Sync = v != 0
		case tagOf(batchRotate, protowire.VarintType):
			v, i = varintAt(data, i)
			b.Rotate = v != 0
		case tagOf(batchRotTS, protowire.VarintType):
			v, i = varintAt(data, i)
			b.RotateTS = int64(v)
		case tagOf(batchEvents, protowire.BytesType):
			var p []byte
			p, i = bytesAt(data, i)
			b.Events = append(b.Events, event.Event{})
			if err := d.event(p, &b.Events[len(b.Events)-1]); err != nil {
				return b, err
			}
			d.remaining--
		default:
			i = skipAt(data, i, tag)
		}
		if i < 0 { // the first pass has checked the framing
			return b, bad("batch")
		}
	}
	return b, nil
}

// decoder holds the per-batch slabs the payloads are carved from. A slab
// is allocated on first use with room for every event still to come, so a
// batch costs one allocation per payload type. Slab elements are handed
// out by pointer and never reused.
type decoder struct {
	remaining int // events not yet decoded, including the current one
	conns     []event.Conn
	weirds    []event.Weird
	ids       []event.ConnID // Weird.ID
	datas     []event.Data
	strs      []string // Conn.Service and Conn.TunnelParents
}

func (d *decoder) newConn() *event.Conn {
	if len(d.conns) == cap(d.conns) {
		d.conns = make([]event.Conn, 0, d.remaining)
	}
	d.conns = d.conns[:len(d.conns)+1]
	return &d.conns[len(d.conns)-1]
}

func (d *decoder) newWeird() *event.Weird {
	if len(d.weirds) == cap(d.weirds) {
		d.weirds = make([]event.Weird, 0, d.remaining)
	}
	d.weirds = d.weirds[:len(d.weirds)+1]
	return &d.weirds[len(d.weirds)-1]
}

func (d *decoder) newID() *event.ConnID {
	if len(d.ids) == cap(d.ids) {
		d.ids = make([]event.ConnID, 0, d.remaining)
	}
	d.ids = d.ids[:len(d.ids)+1]
	return &d.ids[len(d.ids)-1]
}

func (d *decoder) newData() *event.Data {
	if len(d.datas) == cap(d.datas) {
		d.datas = make([]event.Data, 0, d.remaining)
	}
	d.datas = d.datas[:len(d.datas)+1]
	return &d.datas[len(d.datas)-1]
}

// appendStr adds s to the repeated field *dst. Consecutive elements of one
// field sit next to each other in the string slab, so the field is a
// sub-slice of it (capped, so that a plugin appending to it cannot
// overwrite a neighbour).
func (d *decoder) appendStr(dst *[]string, s string) {
	cur := *dst
	if len(cur) > 0 && len(d.strs) > 0 && &cur[len(cur)-1] == &d.strs[len(d.strs)-1] && len(d.strs) < cap(d.strs) {
		d.strs = append(d.strs, s)
		*dst = d.strs[len(d.strs)-len(cur)-1 : len(d.strs) : len(d.strs)]
		return
	}
	if len(cur) > 0 {
		// Interleaved with another field, or the slab is full: move the
		// field to the end of a slab. Rare (the core writes each
		// repeated field contiguously).
		if cap(d.strs)-len(d.strs) < len(cur)+1 {
			d.strs = make([]string, 0, max(64, 2*(len(cur)+1)))
		}
		start := len(d.strs)
		d.strs = append(d.strs, cur...)
		d.strs = append(d.strs, s)
		*dst = d.strs[start:len(d.strs):len(d.strs)]
		return
	}
	if len(d.strs) == cap(d.strs) {
		// Room for two strings per remaining event (a ConnEnd
		// usually has one service), or twice the last slab.
		d.strs = make([]string, 0, max(64, 2*d.remaining, 2*cap(d.strs)))
	}
	d.strs = append(d.strs, s)
	*dst = d.strs[len(d.strs)-1 : len(d.strs) : len(d.strs)]
}

// str returns b as a string without copying. b belongs to the batch buffer,
// which nobody modifies after Decode.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Reading fields. Each message decoder walks its bytes with an index and
// switches on the whole tag (field number and wire type): a field of a
// known number but another wire type falls to the default case and is
// skipped as an unknown field, as the generated code does. The helpers
// return the new index, or -1 when the input is malformed; their fast
// paths are small enough to be inlined.

// tag<<3|type of the fields, as they appear on the wire.
func tagOf(num protowire.Number, typ protowire.Type) uint64 {
	return uint64(num)<<3 | uint64(typ)
}

const (
	tVarint  = uint64(protowire.VarintType)
	tFixed64 = uint64(protowire.Fixed64Type)
	tBytes   = uint64(protowire.BytesType)
)

func varintAt(p []byte, i int) (uint64, int) {
	if uint(i) < uint(len(p)) {
		if c := p[i]; c < 0x80 {
			return uint64(c), i + 1
		}
	}
	return varintSlow(p, i)
}

func varintSlow(p []byte, i int) (uint64, int) {
	if i < 0 || i >= len(p) {
		return 0, -1
	}
	v, n := protowire.ConsumeVarint(p[i:])
	if n < 0 {
		return 0, -1
	}
	return v, i + n
}

// bytesAt returns the contents of a length-delimited field, capped.
func bytesAt(p []byte, i int) ([]byte, int) {
	l, j := varintAt(p, i)
	if j < 0 || l > uint64(len(p)-j) {
		return nil, -1
	}
	e := j + int(l)
	return p[j:e:e], e
}

func fixed64At(p []byte, i int) (uint64, int) {
	if i < 0 || len(p)-i < 8 {
		return 0, -1
	}
	return binary.LittleEndian.Uint64(p[i:]), i + 8
}

// skipAt skips the value of an unknown field.
func skipAt(p []byte, i int, tag uint64) int {
	if i < 0 || tag>>3 == 0 || tag>>3 > uint64(protowire.MaxValidNumber) {
		return -1
	}
	num, typ := protowire.DecodeTag(tag)
	n := protowire.ConsumeFieldValue(num, typ, p[i:])
	if n < 0 {
		return -1
	}
	return i + n
}

func bad(where string) error { return fmt.Errorf("%w: %s", ErrMalformed, where) }

func (d *decoder) event(p []byte, ev *event.Event) error {
	// A protocol payload is decoded by the generated code; repeated
	// occurrences of its field merge, which for protobuf is decoding their
	// concatenation.
	var protoNum uint64
	var protoMsg []byte
	for i := 0; i < len(p); {
		// The tag, its one-byte case inline: most of them.
		tag := uint64(p[i])
		if tag < 0x80 {
			i++
		} else if tag, i = varintSlow(p, i); i < 0 {
			return bad("event")
		}
		var v uint64
		var b []byte
		switch tag {
		case tagOf(evKind, protowire.VarintType):
			v, i = varintAt(p, i)
			if v > 255 {
				return fmt.Errorf("%w: event kind %d", ErrMalformed, v)
			}
			ev.Kind = event.Kind(v)
		case tagOf(evTime, protowire.Fixed64Type):
			v, i = fixed64At(p, i)
			ev.Time = int64(v)
		case tagOf(evKey, protowire.BytesType):
			b, i = bytesAt(p, i)
			ev.Key = str(b)
		case tagOf(evSeq, protowire.VarintType):
			ev.Seq, i = varintAt(p, i)
		case tagOf(evConn, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			// A repeated member of a oneof merges into the one set;
			// another member replaces it.
			if ev.Conn == nil {
				clearPayload(ev)
				protoNum = 0
				ev.Conn = d.newConn()
			}
			if err := d.conn(b, ev.Conn); err != nil {
				return err
			}
		case tagOf(evWeird, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if ev.Weird == nil {
				clearPayload(ev)
				protoNum = 0
				ev.Weird = d.newWeird()
			}
			if err := d.weird(b, ev.Weird); err != nil {
				return err
			}
		case tagOf(evData, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if ev.Data == nil {
				clearPayload(ev)
				protoNum = 0
				ev.Data = d.newData()
			}
			if err := d.data(b, ev.Data); err != nil {
				return err
			}
		case tagOf(evHTTP, protowire.BytesType), tagOf(evSSH, protowire.BytesType),
			tagOf(evTLS, protowire.BytesType), tagOf(evDNS, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if num := tag >> 3; num == protoNum {
				protoMsg = append(protoMsg[:len(protoMsg):len(protoMsg)], b...)
			} else {
				protoNum, protoMsg = num, b
			}
			// Decoded at once, as the generated code does: a
			// malformed payload is an error even if a later member
			// of the oneof replaces it.
			if err := decodeProto(protoNum, protoMsg, ev); err != nil {
				return err
			}
		default:
			i = skipAt(p, i, tag)
		}
		if i < 0 {
			return bad("event")
		}
	}
	return nil
}

func clearPayload(ev *event.Event) {
	ev.Conn, ev.Weird, ev.Data, ev.HTTP, ev.SSH, ev.TLS, ev.DNS = nil, nil, nil, nil, nil, nil, nil
}

func addr(b []byte) (netip.Addr, bool) {
	switch len(b) {
	case 0:
		return netip.Addr{}, true
	case 4:
		return netip.AddrFrom4([4]byte(b)), true
	case 16:
		return netip.AddrFrom16([16]byte(b)), true
	}
	return netip.Addr{}, false
}

// connIDInto merges a ConnID message into id.
func connIDInto(p []byte, id *event.ConnID) error {
	for i := 0; i < len(p); {
		// The tag, its one-byte case inline: most of them.
		tag := uint64(p[i])
		if tag < 0x80 {
			i++
		} else if tag, i = varintSlow(p, i); i < 0 {
			return bad("conn_id")
		}
		var v uint64
		var b []byte
		switch tag {
		case tagOf(idOrigH, protowire.BytesType), tagOf(idRespH, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			a, ok := addr(b)
			if !ok {
				return fmt.Errorf("%w: address of %d bytes", ErrMalformed, len(b))
			}
			if tag>>3 == idOrigH {
				id.OrigH = a
			} else {
				id.RespH = a
			}
		case tagOf(idOrigP, protowire.VarintType):
			v, i = varintAt(p, i)
			id.OrigP = uint16(v) // a proto3 uint32, narrowed
		case tagOf(idRespP, protowire.VarintType):
			v, i = varintAt(p, i)
			id.RespP = uint16(v)
		case tagOf(idProto, protowire.VarintType):
			v, i = varintAt(p, i)
			id.Proto = event.Transport(v)
		default:
			i = skipAt(p, i, tag)
		}
		if i < 0 {
			return bad("conn_id")
		}
	}
	return nil
}

func (d *decoder) conn(p []byte, c *event.Conn) error {
	for i := 0; i < len(p); {
		// The tag, its one-byte case inline: most of them.
		tag := uint64(p[i])
		if tag < 0x80 {
			i++
		} else if tag, i = varintSlow(p, i); i < 0 {
			return bad("conn")
		}
		var v uint64
		var b []byte
		switch tag {
		case tagOf(connUID, protowire.BytesType):
			b, i = bytesAt(p, i)
			c.UID = str(b)
		case tagOf(connID, protowire.BytesType): // a repeated message field merges
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if err := connIDInto(b, &c.ID); err != nil {
				return err
			}
		case tagOf(connStart, protowire.Fixed64Type):
			v, i = fixed64At(p, i)
			c.Start = int64(v)
		case tagOf(connDuration, protowire.VarintType):
			v, i = varintAt(p, i)
			c.Duration = int64(v)
		case tagOf(connOrigBytes, protowire.VarintType):
			c.OrigBytes, i = varintAt(p, i)
		case tagOf(connRespBytes, protowire.VarintType):
			c.RespBytes, i = varintAt(p, i)
		case tagOf(connState, protowire.BytesType):
			b, i = bytesAt(p, i)
			c.ConnState = str(b)
		case tagOf(connLocalOrig, protowire.VarintType):
			v, i = varintAt(p, i)
			c.LocalOrig = event.Tristate(v)
		case tagOf(connLocalResp, protowire.VarintType):
			v, i = varintAt(p, i)
			c.LocalResp = event.Tristate(v)
		case tagOf(connMissedBytes, protowire.VarintType):
			c.MissedBytes, i = varintAt(p, i)
		case tagOf(connHistory, protowire.BytesType):
			b, i = bytesAt(p, i)
			c.History = str(b)
		case tagOf(connOrigPkts, protowire.VarintType):
			c.OrigPkts, i = varintAt(p, i)
		case tagOf(connOrigIPBytes, protowire.VarintType):
			c.OrigIPBytes, i = varintAt(p, i)
		case tagOf(connRespPkts, protowire.VarintType):
			c.RespPkts, i = varintAt(p, i)
		case tagOf(connRespIPBytes, protowire.VarintType):
			c.RespIPBytes, i = varintAt(p, i)
		case tagOf(connIPProto, protowire.VarintType):
			v, i = varintAt(p, i)
			c.IPProto = uint8(v)
		case tagOf(connService, protowire.BytesType):
			if b, i = bytesAt(p, i); i >= 0 {
				d.appendStr(&c.Service, str(b))
			}
		case tagOf(connTunnel, protowire.BytesType):
			if b, i = bytesAt(p, i); i >= 0 {
				d.appendStr(&c.TunnelParents, str(b))
			}
		case tagOf(connCommunityID, protowire.BytesType):
			b, i = bytesAt(p, i)
			c.CommunityID = str(b)
		case tagOf(connVLAN, protowire.VarintType):
			v, i = varintAt(p, i)
			c.VLAN = uint16(v)
		case tagOf(connInnerVLAN, protowire.VarintType):
			v, i = varintAt(p, i)
			c.InnerVLAN = uint16(v)
		default:
			i = skipAt(p, i, tag)
		}
		if i < 0 {
			return bad("conn")
		}
	}
	return nil
}

func (d *decoder) weird(p []byte, w *event.Weird) error {
	for i := 0; i < len(p); {
		// The tag, its one-byte case inline: most of them.
		tag := uint64(p[i])
		if tag < 0x80 {
			i++
		} else if tag, i = varintSlow(p, i); i < 0 {
			return bad("weird")
		}
		var v uint64
		var b []byte
		switch tag {
		case tagOf(weirdTS, protowire.Fixed64Type):
			v, i = fixed64At(p, i)
			w.TS = int64(v)
		case tagOf(weirdUID, protowire.BytesType):
			b, i = bytesAt(p, i)
			w.UID = str(b)
		case tagOf(weirdID, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if w.ID == nil {
				w.ID = d.newID()
			}
			if err := connIDInto(b, w.ID); err != nil {
				return err
			}
		case tagOf(weirdName, protowire.BytesType):
			b, i = bytesAt(p, i)
			w.Name = str(b)
		case tagOf(weirdAddl, protowire.BytesType):
			b, i = bytesAt(p, i)
			w.Addl = str(b)
		case tagOf(weirdNotice, protowire.VarintType):
			v, i = varintAt(p, i)
			w.Notice = v != 0
		case tagOf(weirdPeer, protowire.BytesType):
			b, i = bytesAt(p, i)
			w.Peer = str(b)
		case tagOf(weirdSource, protowire.BytesType):
			b, i = bytesAt(p, i)
			w.Source = str(b)
		default:
			i = skipAt(p, i, tag)
		}
		if i < 0 {
			return bad("weird")
		}
	}
	return nil
}

func (d *decoder) data(p []byte, x *event.Data) error {
	for i := 0; i < len(p); {
		// The tag, its one-byte case inline: most of them.
		tag := uint64(p[i])
		if tag < 0x80 {
			i++
		} else if tag, i = varintSlow(p, i); i < 0 {
			return bad("data")
		}
		var v uint64
		var b []byte
		switch tag {
		case tagOf(dataUID, protowire.BytesType):
			b, i = bytesAt(p, i)
			x.UID = str(b)
		case tagOf(dataID, protowire.BytesType):
			if b, i = bytesAt(p, i); i < 0 {
				break
			}
			if err := connIDInto(b, &x.ID); err != nil {
				return err
			}
		case tagOf(dataIsOrig, protowire.VarintType):
			v, i = varintAt(p, i)
			x.IsOrig = v != 0
		case tagOf(dataSeq, protowire.VarintType):
			x.Seq, i = varintAt(p, i)
		case tagOf(dataGap, protowire.VarintType):
			x.Gap, i = varintAt(p, i)
		case tagOf(dataBytes, protowire.BytesType):
			b, i = bytesAt(p, i)
			x.Bytes = nil
			if len(b) > 0 {
				x.Bytes = b
			}
		default:
			i = skipAt(p, i, tag)
		}
		if i < 0 {
			return bad("data")
		}
	}
	return nil
}
