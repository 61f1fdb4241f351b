package wire

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite the seed corpus under testdata/fuzz/FuzzDecode")

// sample returns events covering every field of every payload type.
func sample() []event.Event {
	v4 := netip.MustParseAddr("198.18.0.1")
	v4b := netip.MustParseAddr("198.18.0.2")
	v6 := netip.MustParseAddr("2001:db8::1")
	v6b := netip.MustParseAddr("2001:db8::2")
	return []event.Event{
		{Kind: event.KindConnStart, Time: 1_300_475_167_096_535_000, Key: "Cabc", Conn: &event.Conn{
			UID: "Cabc", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 48649, RespP: 80, Proto: event.TransportTCP},
			Start: 1_300_475_167_096_535_000,
		}},
		{Kind: event.KindConnEnd, Time: 1_300_475_168_000_000_000, Key: "Cabc", Seq: 3, Conn: &event.Conn{
			UID: "Cabc", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 48649, RespP: 80, Proto: event.TransportTCP},
			Start: 1_300_475_167_096_535_000, Duration: 903_465_000, OrigBytes: 1234, RespBytes: 1 << 40,
			ConnState: "SF", LocalOrig: event.True, LocalResp: event.False, MissedBytes: 7, History: "ShADadFf",
			OrigPkts: 10, OrigIPBytes: 2000, RespPkts: 12, RespIPBytes: 70000, IPProto: 6,
			Service: []string{"ssl", "http"}, TunnelParents: []string{"Ct1", ""}, CommunityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
			VLAN: 10, InnerVLAN: 4095,
		}},
		{Kind: event.KindConnEnd, Time: -5, Key: "Cv6", Conn: &event.Conn{
			UID: "Cv6", ID: event.ConnID{OrigH: v6, RespH: v6b, OrigP: 128, RespP: 0, Proto: event.TransportICMP},
			Start: -5, IPProto: 58, ConnState: "OTH",
		}},
		{Kind: event.KindWeird, Time: 42, Weird: &event.Weird{TS: 42, Name: "truncated_header", Addl: "\xff\x00bin", Source: "IP"}},
		{Kind: event.KindWeird, Time: 43, Key: "Cabc", Weird: &event.Weird{
			TS: 43, UID: "Cabc", ID: &event.ConnID{OrigH: v6, RespH: v6b, OrigP: 1, RespP: 2, Proto: event.TransportUDP},
			Name: "bad_UDP_checksum", Notice: true, Peer: "weir",
		}},
		{Kind: event.KindStreamData, Time: 44, Key: "Cabc", Seq: 9, Data: &event.Data{
			UID: "Cabc", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 50000, RespP: 6379, Proto: event.TransportTCP},
			IsOrig: true, Seq: 100, Gap: 5, Bytes: []byte("*1\r\n$4\r\nPING\r\n"),
		}},
		{Kind: event.KindDatagram, Time: 45, Data: &event.Data{UID: "Cu", ID: event.ConnID{Proto: event.TransportUDP}}},
		{Kind: event.KindHTTPTransaction, Time: 46, Key: "Cabc", HTTP: &event.HTTP{
			TS: 46, UID: "Cabc", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 48649, RespP: 80, Proto: event.TransportTCP},
			TransDepth: 2, Method: "GET", Host: "example.com:8080", URI: "/a b\xff", Referrer: "r", Version: "1.1",
			UserAgent: "curl/8", Origin: "o", RequestBodyLen: 1, ResponseBodyLen: 1 << 33, StatusCode: 200, StatusMsg: "OK",
			InfoCode: 100, InfoMsg: "Continue", Tags: []string{"t1", ""}, Username: "u", Password: "p",
			Proxied: []string{"X-Forwarded-For -> 1.2.3.4"}, OrigFilenames: []string{"f"}, OrigMIMETypes: []string{"text/plain"},
			RespFilenames: []string{"g", "h"}, RespMIMETypes: []string{"text/html"},
			Set: event.HTTPMethod | event.HTTPURI | event.HTTPPassword,
		}},
		{Kind: event.KindSSHHandshake, Time: 47, Key: "Cssh", SSH: &event.SSH{
			TS: 47, UID: "Cssh", ID: event.ConnID{OrigH: v6, RespH: v6b, OrigP: 50000, RespP: 22, Proto: event.TransportTCP},
			Version: 2, HasVersion: true, AuthSuccess: event.True, AuthAttempts: 3, Direction: "INBOUND",
			Client: "SSH-2.0-OpenSSH_9.2p1", Server: "SSH-2.0-OpenSSH_9.6", CipherAlg: "aes128-ctr", MACAlg: "hmac-sha2-256",
			CompressionAlg: "none", KexAlg: "curve25519-sha256", HostKeyAlg: "ssh-ed25519", HostKey: "aa:bb",
		}},
		{Kind: event.KindTLSHandshake, Time: 48, Key: "Ctls", TLS: &event.TLS{
			UID: "Ctls", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 1, RespP: 443, Proto: event.TransportTCP}, TS: 48,
			VersionNum: 0x0303, Version: "TLSv12", Cipher: "TLS_AES_128_GCM_SHA256", Curve: "x25519",
			ServerName: "example.com", HasServerName: true, Resumed: true, LastAlert: "close_notify",
			NextProtocol: "h2", HasNextProtocol: true, Established: true, History: "CsxknGIi",
			CertChainFPs: []string{"fp1", "fp2"}, ClientCertChainFPs: []string{"fp3"},
			Subject: "CN=example.com", Issuer: "CN=CA", HasSubject: true, ClientSubject: "CN=c", ClientIssuer: "CN=ci",
			HasClientSubject: true, SNIMatchesCert: event.False, JA3: "j3", JA3S: "j3s", JA4: "t13d",
		}},
		{Kind: event.KindDNSMessage, Time: 49, Key: "Cdns", DNS: &event.DNS{
			TS: 49, UID: "Cdns", ID: event.ConnID{OrigH: v4, RespH: v4b, OrigP: 5353, RespP: 53, Proto: event.TransportUDP},
			Proto: event.TransportUDP, TransID: 0xbeef, RTT: 1234, HasRTT: true, Query: "example.com", HasQuery: true,
			QClass: 1, QClassName: "C_INTERNET", QType: 28, QTypeName: "AAAA", HasQType: true, RCode: 3,
			RCodeName: "NXDOMAIN", HasRCode: true, AA: true, TC: true, RD: true, RA: true, Z: 1,
			Answers: []string{"2001:db8::1", "\x00bin"}, TTLs: []int64{300e9, -1}, Rejected: true, Opcode: 5, OpcodeName: "update",
		}},
		{Kind: event.KindHTTPTransaction, Time: 50, Key: "x"}, // no payload
	}
}

func addrPB(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	return a.AsSlice()
}

func idPB(id *event.ConnID) *pb.ConnID {
	return &pb.ConnID{OrigH: addrPB(id.OrigH), RespH: addrPB(id.RespH), OrigP: uint32(id.OrigP),
		RespP: uint32(id.RespP), Proto: pb.Transport(id.Proto)}
}

// toPB is the reference conversion, written against the generated types.
func toPB(ev *event.Event) *pb.Event {
	e := &pb.Event{Kind: pb.Kind(ev.Kind), Time: ev.Time, Key: ev.Key, Seq: ev.Seq}
	switch {
	case ev.Conn != nil:
		c := ev.Conn
		e.Payload = &pb.Event_Conn{Conn: &pb.Conn{
			Uid: c.UID, Id: idPB(&c.ID), Start: c.Start, Duration: c.Duration, OrigBytes: c.OrigBytes,
			RespBytes: c.RespBytes, ConnState: c.ConnState, LocalOrig: pb.Tristate(c.LocalOrig),
			LocalResp: pb.Tristate(c.LocalResp), MissedBytes: c.MissedBytes, History: c.History,
			OrigPkts: c.OrigPkts, OrigIpBytes: c.OrigIPBytes, RespPkts: c.RespPkts, RespIpBytes: c.RespIPBytes,
			IpProto: uint32(c.IPProto), Service: c.Service, TunnelParents: c.TunnelParents,
			CommunityId: c.CommunityID, Vlan: uint32(c.VLAN), InnerVlan: uint32(c.InnerVLAN),
		}}
	case ev.Weird != nil:
		w := ev.Weird
		pw := &pb.Weird{Ts: w.TS, Uid: w.UID, Name: w.Name, Addl: []byte(w.Addl), Notice: w.Notice, Peer: w.Peer, Source: w.Source}
		if w.ID != nil {
			pw.Id = idPB(w.ID)
		}
		e.Payload = &pb.Event_Weird{Weird: pw}
	case ev.Data != nil:
		d := ev.Data
		e.Payload = &pb.Event_Data{Data: &pb.Data{Uid: d.UID, Id: idPB(&d.ID), IsOrig: d.IsOrig, Seq: d.Seq, Gap: d.Gap, Bytes: d.Bytes}}
	default:
		var sc protoScratch
		if p, ok := sc.build(ev); ok {
			m := proto.Clone(p.msg)
			switch x := m.(type) {
			case *pb.HTTP:
				e.Payload = &pb.Event_Http{Http: x}
			case *pb.SSH:
				e.Payload = &pb.Event_Ssh{Ssh: x}
			case *pb.TLS:
				e.Payload = &pb.Event_Tls{Tls: x}
			case *pb.DNS:
				e.Payload = &pb.Event_Dns{Dns: x}
			}
		}
	}
	return e
}

func toPBBatch(seq uint64, sync bool, evs []event.Event) *pb.Batch {
	b := &pb.Batch{Seq: seq, Sync: sync}
	for i := range evs {
		b.Events = append(b.Events, toPB(&evs[i]))
	}
	return b
}

// TestEncodeReadByGeneratedCode: what the hand-written encoder writes, the
// generated code reads as the same message.
func TestEncodeReadByGeneratedCode(t *testing.T) {
	evs := sample()
	for _, seq := range []uint64{0, 1, 300, 1 << 63} {
		for _, sync := range []bool{false, true} {
			var got pb.Batch
			if err := proto.Unmarshal(AppendBatch(nil, seq, sync, evs), &got); err != nil {
				t.Fatalf("seq %d: generated code rejects the encoding: %v", seq, err)
			}
			if want := toPBBatch(seq, sync, evs); !proto.Equal(&got, want) {
				t.Fatalf("seq %d sync %v:\n got %v\nwant %v", seq, sync, &got, want)
			}
		}
	}
}

// TestEncoderMatchesAppendBatch: the reusable Encoder writes exactly what
// AppendBatch does, across resets.
func TestEncoderMatchesAppendBatch(t *testing.T) {
	evs := sample()
	var e Encoder
	for round, seq := range []uint64{1, 2, 1 << 40} {
		e.Reset()
		for i := range evs[:len(evs)-round] {
			e.Append(&evs[i])
		}
		if e.Len() != len(evs)-round {
			t.Fatalf("Len = %d", e.Len())
		}
		got := e.Finish(seq, round == 1)
		want := AppendBatch(nil, seq, round == 1, evs[:len(evs)-round])
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: Encoder and AppendBatch differ:\n%x\n%x", round, got, want)
		}
	}
}

// appendFull is AppendBatch plus the rotation fields when rotate is set.
func appendFull(b []byte, bt Batch) []byte {
	b = AppendBatch(b, bt.Seq, bt.Sync, bt.Events)
	if bt.Rotate {
		b = AppendRotate(b, bt.RotateTS)
	}
	return b
}

// TestRotateFields: the rotation request reads the same in the generated
// code and in Decode, the Encoder writes it as AppendRotate does and makes
// the batch a sync batch, and Reset forgets it.
func TestRotateFields(t *testing.T) {
	evs := sample()
	for _, ts := range []int64{0, 1_700_000_000_123_456_789, -1} {
		data := appendFull(nil, Batch{Seq: 9, Sync: true, Events: evs, Rotate: true, RotateTS: ts})
		var ref pb.Batch
		if err := proto.Unmarshal(data, &ref); err != nil {
			t.Fatal(err)
		}
		if !ref.Rotate || ref.RotateTs != ts || !ref.Sync || ref.Seq != 9 {
			t.Fatalf("ts %d: generated code reads rotate %v at %d sync %v seq %d", ts, ref.Rotate, ref.RotateTs, ref.Sync, ref.Seq)
		}
		gen, err := proto.Marshal(&ref)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(gen)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Rotate || b.RotateTS != ts || !b.Sync || b.Seq != 9 || len(b.Events) != len(evs) {
			t.Fatalf("ts %d: Decode reads rotate %v at %d sync %v seq %d, %d events", ts, b.Rotate, b.RotateTS, b.Sync, b.Seq, len(b.Events))
		}

		var e Encoder
		e.Reset()
		for i := range evs {
			e.Append(&evs[i])
		}
		e.Rotate(ts)
		if got := e.Finish(9, false); !bytes.Equal(got, data) {
			t.Fatalf("ts %d: Encoder and AppendBatch+AppendRotate differ:\n%x\n%x", ts, got, data)
		}
		e.Reset()
		e.Append(&evs[0])
		if b, err := Decode(bytes.Clone(e.Finish(10, false))); err != nil || b.Rotate || b.Sync {
			t.Fatalf("after Reset: rotate %v sync %v (%v)", b.Rotate, b.Sync, err)
		}
	}
}

// TestDecodeGeneratedEncoding: what the generated code writes, Decode reads
// back as the original events.
func TestDecodeGeneratedEncoding(t *testing.T) {
	evs := sample()
	data, err := proto.Marshal(toPBBatch(77, true, evs))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != 77 || !b.Sync {
		t.Fatalf("seq %d sync %v", b.Seq, b.Sync)
	}
	if !reflect.DeepEqual(b.Events, evs) {
		for i := range evs {
			if !reflect.DeepEqual(b.Events[i], evs[i]) {
				t.Errorf("event %d:\n got %s\nwant %s", i, dump(&b.Events[i]), dump(&evs[i]))
			}
		}
		t.FailNow()
	}
}

func dump(ev *event.Event) string {
	s := fmt.Sprintf("%+v", *ev)
	if ev.Conn != nil {
		s += fmt.Sprintf(" conn=%+v", *ev.Conn)
	}
	if ev.Weird != nil {
		s += fmt.Sprintf(" weird=%+v", *ev.Weird)
		if ev.Weird.ID != nil {
			s += fmt.Sprintf(" id=%+v", *ev.Weird.ID)
		}
	}
	if ev.Data != nil {
		s += fmt.Sprintf(" data=%+v", *ev.Data)
	}
	return s
}

// TestDecodeKeepsRepeatedFieldsApart: the string slab must not let one
// event's Service alias another's, even when a plugin appends to it.
func TestDecodeKeepsRepeatedFieldsApart(t *testing.T) {
	evs := sample()
	b, err := Decode(AppendBatch(nil, 1, false, append(evs, evs...)))
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := b.Events[1].Conn, b.Events[len(evs)+1].Conn
	c1.Service = append(c1.Service, "dns")
	if !reflect.DeepEqual(c2.Service, []string{"ssl", "http"}) || !reflect.DeepEqual(c1.TunnelParents, []string{"Ct1", ""}) {
		t.Fatalf("appending to one event's Service changed another field: %q %q", c2.Service, c1.TunnelParents)
	}
}

// TestDecodeInterleavedRepeated: elements of one repeated field separated
// by another field (legal protobuf) are still collected in order.
func TestDecodeInterleavedRepeated(t *testing.T) {
	c := &pb.Conn{Uid: "C"}
	raw, _ := proto.Marshal(c)
	add := func(num protowire.Number, s string) {
		raw = protowire.AppendTag(raw, num, protowire.BytesType)
		raw = protowire.AppendString(raw, s)
	}
	add(connService, "a")
	add(connTunnel, "t1")
	add(connService, "b")
	add(connTunnel, "t2")
	add(connService, "c")
	ev := protowire.AppendTag(nil, evConn, protowire.BytesType)
	ev = protowire.AppendBytes(ev, raw)
	batch := protowire.AppendTag(nil, batchEvents, protowire.BytesType)
	batch = protowire.AppendBytes(batch, ev)
	b, err := Decode(batch)
	if err != nil {
		t.Fatal(err)
	}
	got := b.Events[0].Conn
	if !reflect.DeepEqual(got.Service, []string{"a", "b", "c"}) || !reflect.DeepEqual(got.TunnelParents, []string{"t1", "t2"}) {
		t.Fatalf("service %q tunnel %q", got.Service, got.TunnelParents)
	}
	var ref pb.Batch
	if err := proto.Unmarshal(batch, &ref); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ref.Events[0].GetConn().Service, got.Service) {
		t.Fatalf("generated code reads %q", ref.Events[0].GetConn().Service)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	// One event after a 2-byte seq field: every cut inside the event
	// field is a truncation.
	good := AppendBatch(nil, 5, false, sample()[1:2])
	for i := 3; i < len(good); i++ {
		if _, err := Decode(good[:i]); err == nil {
			t.Fatalf("batch cut at %d of %d bytes accepted", i, len(good))
		}
	}
	bad := [][]byte{
		{batchEvents<<3 | 2, 4, evConn<<3 | 2, 2, connID<<3 | 2, 9}, // nested length past the end
		{batchSeq << 3, 0x80}, // truncated varint
		{batchEvents<<3 | 2, 5, evConn<<3 | 2, 3, connID<<3 | 2, 1, idOrigH<<3 | 2},       // truncated
		{batchEvents<<3 | 2, 7, evConn<<3 | 2, 5, connID<<3 | 2, 3, idOrigH<<3 | 2, 1, 9}, // 1-byte address
		{batchEvents<<3 | 2, 3, evKind<<3 | 0, 0x80, 0x02},                                // kind 256
		{batchEvents<<3 | 2, 2, 0, 0},                                                     // field number 0
	}
	for i, b := range bad {
		if _, err := Decode(b); err == nil {
			t.Errorf("bad input %d accepted", i)
		}
	}
}

// TestWrongWireTypeIsUnknown: a known field number with another wire type
// is skipped as an unknown field, as the generated code does.
func TestWrongWireTypeIsUnknown(t *testing.T) {
	data := []byte{batchEvents<<3 | 2, 4, evKind << 3, 3, evTime<<3 | 2, 0}
	b, err := Decode(data)
	if err != nil || len(b.Events) != 1 || b.Events[0].Kind != event.KindWeird || b.Events[0].Time != 0 {
		t.Fatalf("Decode = %+v, %v", b, err)
	}
	var ref pb.Batch
	if err := proto.Unmarshal(data, &ref); err != nil || ref.Events[0].Time != 0 {
		t.Fatalf("generated code: %v", err)
	}
}

func TestSkipsUnknownFields(t *testing.T) {
	evs := sample()[:2]
	data := AppendBatch(nil, 3, false, evs)
	// A field a newer core might add, at the batch level and inside an
	// event (fixed64, fixed32 and bytes wire types).
	data = protowire.AppendTag(data, 99, protowire.Fixed64Type)
	data = protowire.AppendFixed64(data, 1)
	data = protowire.AppendTag(data, 98, protowire.Fixed32Type)
	data = protowire.AppendFixed32(data, 2)
	inner := protowire.AppendTag(nil, 4000, protowire.BytesType)
	inner = protowire.AppendString(inner, "new")
	inner = appendEvent(inner, &evs[1], nil)
	data = protowire.AppendTag(data, batchEvents, protowire.BytesType)
	data = protowire.AppendBytes(data, inner)
	evs = append(evs, evs[1])
	b, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Events, evs) {
		t.Fatal("unknown fields changed the events")
	}
}

func TestEncoderAllocs(t *testing.T) {
	evs := sample()
	var e Encoder
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset()
		for i := range evs {
			e.Append(&evs[i])
		}
		_ = e.Finish(12345, false)
	})
	if allocs != 0 {
		t.Fatalf("Encoder allocates %.1f times per batch", allocs)
	}
}

func TestDecodeAllocs(t *testing.T) {
	var evs []event.Event
	for range 64 {
		evs = append(evs, sample()[:3]...) // ConnStart, ConnEnd with services, ConnEnd
	}
	data := AppendBatch(nil, 1, false, evs)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Decode(data); err != nil {
			t.Fatal(err)
		}
	})
	// The events, the Conn slab, one string slab.
	if allocs > 3 {
		t.Fatalf("Decode allocates %.1f times for a batch of %d events; want 3", allocs, len(evs))
	}
}

func TestCodecPassesRawThrough(t *testing.T) {
	var c Codec
	msg := AppendBatch(nil, 1, false, sample())
	out, err := c.Marshal(&Raw{B: bytes.Clone(msg)})
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("Marshal(Raw) = %v, %v", len(out), err)
	}
	var r Raw
	if err := c.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	out[0] ^= 0xff // the receiver's copy must not change with gRPC's buffer
	if !bytes.Equal(r.B, msg) {
		t.Fatal("Unmarshal(Raw) aliases its input")
	}
	ack, err := c.Marshal(&pb.Ack{Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	var back pb.Ack
	if err := c.Unmarshal(ack, &back); err != nil || back.Seq != 9 {
		t.Fatalf("protobuf messages: %v %v", back.Seq, err)
	}
	if c.Name() != "proto" {
		t.Fatalf("Name = %q", c.Name())
	}
}

func FuzzDecode(f *testing.F) {
	evs := sample()
	f.Add(AppendBatch(nil, 1, true, evs))
	for i := range evs {
		f.Add(AppendBatch(nil, uint64(i), false, evs[i:i+1]))
	}
	f.Add(appendFull(nil, Batch{Seq: 3, Sync: true, Events: evs[:2], Rotate: true, RotateTS: 1_700_000_000_000_000_000}))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(bytes.Clone(data))
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a batch that decodes to the
		// same events.
		again, err := Decode(appendFull(nil, b))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(again.Events), normalize(b.Events)) {
			t.Fatalf("round trip changed the events")
		}
		if again.Rotate != b.Rotate || b.Rotate && again.RotateTS != b.RotateTS {
			t.Fatalf("round trip changed the rotation: %v %d, was %v %d", again.Rotate, again.RotateTS, b.Rotate, b.RotateTS)
		}
		// The generated code reads the same batch the same way.
		var ref pb.Batch
		if err := proto.Unmarshal(data, &ref); err != nil {
			// proto3 strings must be UTF-8; the core sends only
			// UTF-8 there, and Decode does not spend time checking.
			if strings.Contains(err.Error(), "invalid UTF-8") {
				return
			}
			t.Fatalf("Decode accepts what the generated code rejects (%v)", err)
		}
		want := toPBBatch(b.Seq, b.Sync, b.Events)
		want.Rotate, want.RotateTs = b.Rotate, b.RotateTS
		if !proto.Equal(normalizePB(&ref), normalizePB(want)) {
			t.Fatalf("generated code decodes\n%v\nDecode\n%v", &ref, want)
		}
	})
}

// normalizePB drops what the SDK's types do not carry: unknown fields,
// addresses that are not 4 or 16 bytes (Decode rejects those), values
// wider than the Go fields.
func normalizePB(b *pb.Batch) *pb.Batch {
	b = proto.Clone(b).(*pb.Batch)
	b.ProtoReflect().SetUnknown(nil)
	id := func(id *pb.ConnID) {
		if id == nil {
			return
		}
		id.ProtoReflect().SetUnknown(nil)
		id.OrigP, id.RespP = id.OrigP&0xffff, id.RespP&0xffff
		id.Proto = pb.Transport(uint8(id.Proto))
	}
	for _, e := range b.Events {
		e.ProtoReflect().SetUnknown(nil)
		e.Kind = pb.Kind(uint8(e.Kind))
		switch x := e.Payload.(type) {
		case *pb.Event_Conn:
			c := x.Conn
			c.ProtoReflect().SetUnknown(nil)
			if c.Id == nil {
				c.Id = &pb.ConnID{}
			}
			id(c.Id)
			c.LocalOrig, c.LocalResp = pb.Tristate(uint8(c.LocalOrig)), pb.Tristate(uint8(c.LocalResp))
			c.IpProto, c.Vlan, c.InnerVlan = c.IpProto&0xff, c.Vlan&0xffff, c.InnerVlan&0xffff
			if len(c.Service) == 0 {
				c.Service = nil
			}
			if len(c.TunnelParents) == 0 {
				c.TunnelParents = nil
			}
		case *pb.Event_Weird:
			x.Weird.ProtoReflect().SetUnknown(nil)
			id(x.Weird.Id)
			if len(x.Weird.Addl) == 0 {
				x.Weird.Addl = nil
			}
		case *pb.Event_Data:
			x.Data.ProtoReflect().SetUnknown(nil)
			if x.Data.Id == nil {
				x.Data.Id = &pb.ConnID{}
			}
			id(x.Data.Id)
			if len(x.Data.Bytes) == 0 {
				x.Data.Bytes = nil
			}
		case *pb.Event_Http:
			h := x.Http
			h.ProtoReflect().SetUnknown(nil)
			if h.Id == nil {
				h.Id = &pb.ConnID{}
			}
			id(h.Id)
		case *pb.Event_Ssh:
			h := x.Ssh
			h.ProtoReflect().SetUnknown(nil)
			if h.Id == nil {
				h.Id = &pb.ConnID{}
			}
			id(h.Id)
			h.Version &= 0xff
			h.AuthSuccess = pb.Tristate(uint8(h.AuthSuccess))
		case *pb.Event_Tls:
			h := x.Tls
			h.ProtoReflect().SetUnknown(nil)
			if h.Id == nil {
				h.Id = &pb.ConnID{}
			}
			id(h.Id)
			h.VersionNum &= 0xffff
			h.SniMatchesCert = pb.Tristate(uint8(h.SniMatchesCert))
		case *pb.Event_Dns:
			h := x.Dns
			h.ProtoReflect().SetUnknown(nil)
			if h.Id == nil {
				h.Id = &pb.ConnID{}
			}
			id(h.Id)
			h.Proto = pb.Transport(uint8(h.Proto))
			h.TransId, h.Qclass, h.Qtype, h.Rcode = h.TransId&0xffff, h.Qclass&0xffff, h.Qtype&0xffff, h.Rcode&0xffff
			h.Z, h.Opcode = h.Z&0xff, h.Opcode&0xff
			if len(h.Ttls) == 0 {
				h.Ttls = nil
			}
		}
	}
	return b
}

// normalize maps nil and empty slices alike, as protobuf does not tell
// them apart.
func normalize(evs []event.Event) []event.Event {
	out := make([]event.Event, len(evs))
	for i, ev := range evs {
		if ev.Conn != nil {
			c := *ev.Conn
			if len(c.Service) == 0 {
				c.Service = nil
			}
			if len(c.TunnelParents) == 0 {
				c.TunnelParents = nil
			}
			ev.Conn = &c
		}
		out[i] = ev
	}
	return out
}

// TestWriteSeedCorpus writes the fuzz seed corpus when run with
// -write-corpus.
func TestWriteSeedCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("go test ./sdk/internal/wire -run TestWriteSeedCorpus -args -write-corpus rewrites the seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	evs := sample()
	seeds := [][]byte{AppendBatch(nil, 1, true, evs)}
	for i := range evs {
		seeds = append(seeds, AppendBatch(nil, uint64(i+2), false, evs[i:i+1]))
	}
	// A rotating batch, and one that rotates at a negative time.
	seeds = append(seeds,
		appendFull(nil, Batch{Seq: 20, Sync: true, Events: evs[:2], Rotate: true, RotateTS: 1_700_000_000_000_000_000}),
		appendFull(nil, Batch{Seq: 21, Sync: true, Rotate: true, RotateTS: -5}))
	for i, s := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
