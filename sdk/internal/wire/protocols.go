package wire

import (
	"net/netip"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
)

// The protocol analyzers' events (HTTP, SSH, TLS, DNS) go through the
// generated code: they are a small fraction of the events (one per
// transaction or handshake, where connections and stream data are per
// flow and per segment) and have many fields. Encoding reuses one
// generated message per type and shares the strings (no allocation);
// decoding allocates what proto.Unmarshal allocates. Writing them by hand
// like Conn is the way to go if they ever dominate.

const (
	evHTTP = 13
	evSSH  = 14
	evTLS  = 15
	evDNS  = 16
)

// protoScratch holds the reusable messages of an Encoder.
type protoScratch struct {
	http  pb.HTTP
	ssh   pb.SSH
	tls   pb.TLS
	dns   pb.DNS
	ids   [4]pb.ConnID
	addrs [4][2][16]byte
	// Backing arrays of the repeated bytes fields: HTTP's five, TLS's
	// two, DNS's answers.
	lists [8][][]byte
}

// payload is a protocol event's message, built and sized.
type payload struct {
	num  int
	msg  proto.Message
	size int
}

// bytesOf shares s's bytes. The generated code only reads them while
// marshalling.
func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func (s *protoScratch) list(i int, ss []string) [][]byte {
	if len(ss) == 0 {
		return nil
	}
	l := s.lists[i][:0]
	for _, x := range ss {
		if x == "" {
			l = append(l, []byte{}) // an empty element, not a missing one
			continue
		}
		l = append(l, bytesOf(x))
	}
	s.lists[i] = l
	return l
}

func (s *protoScratch) id(i int, id *event.ConnID) *pb.ConnID {
	p := &s.ids[i]
	*p = pb.ConnID{OrigH: addrInto(&s.addrs[i][0], id.OrigH), RespH: addrInto(&s.addrs[i][1], id.RespH),
		OrigP: uint32(id.OrigP), RespP: uint32(id.RespP), Proto: pb.Transport(id.Proto)}
	return p
}

// addrInto writes a's 4 or 16 bytes into buf and returns them (nil for
// the zero Addr).
func addrInto(buf *[16]byte, a netip.Addr) []byte {
	switch {
	case a.Is4():
		v := a.As4()
		copy(buf[:], v[:])
		return buf[:4]
	case a.IsValid():
		*buf = a.As16()
		return buf[:]
	}
	return nil
}

// build fills the scratch message of ev's protocol payload, if it has one.
func (s *protoScratch) build(ev *event.Event) (payload, bool) {
	var p payload
	switch {
	case ev.HTTP != nil:
		h := ev.HTTP
		s.http = pb.HTTP{
			Ts: h.TS, Uid: h.UID, Id: s.id(0, &h.ID), TransDepth: h.TransDepth,
			Method: bytesOf(h.Method), Host: bytesOf(h.Host), Uri: bytesOf(h.URI), Referrer: bytesOf(h.Referrer),
			Version: bytesOf(h.Version), UserAgent: bytesOf(h.UserAgent), Origin: bytesOf(h.Origin),
			RequestBodyLen: h.RequestBodyLen, ResponseBodyLen: h.ResponseBodyLen,
			StatusCode: h.StatusCode, StatusMsg: bytesOf(h.StatusMsg), InfoCode: h.InfoCode, InfoMsg: bytesOf(h.InfoMsg),
			Tags: s.list(0, h.Tags), Username: bytesOf(h.Username), Password: bytesOf(h.Password),
			Proxied: s.list(1, h.Proxied), OrigFilenames: s.list(2, h.OrigFilenames), OrigMimeTypes: s.list(3, h.OrigMIMETypes),
			RespFilenames: s.list(4, h.RespFilenames), RespMimeTypes: s.list(5, h.RespMIMETypes),
			Set: uint32(h.Set),
		}
		p = payload{num: evHTTP, msg: &s.http}
	case ev.SSH != nil:
		x := ev.SSH
		s.ssh = pb.SSH{
			Ts: x.TS, Uid: x.UID, Id: s.id(1, &x.ID), Version: uint32(x.Version), HasVersion: x.HasVersion,
			AuthSuccess: pb.Tristate(x.AuthSuccess), AuthAttempts: x.AuthAttempts, Direction: bytesOf(x.Direction),
			Client: bytesOf(x.Client), Server: bytesOf(x.Server), CipherAlg: bytesOf(x.CipherAlg),
			MacAlg: bytesOf(x.MACAlg), CompressionAlg: bytesOf(x.CompressionAlg), KexAlg: bytesOf(x.KexAlg),
			HostKeyAlg: bytesOf(x.HostKeyAlg), HostKey: bytesOf(x.HostKey),
		}
		p = payload{num: evSSH, msg: &s.ssh}
	case ev.TLS != nil:
		x := ev.TLS
		s.tls = pb.TLS{
			Ts: x.TS, Uid: x.UID, Id: s.id(2, &x.ID), VersionNum: uint32(x.VersionNum), Version: bytesOf(x.Version),
			Cipher: bytesOf(x.Cipher), Curve: bytesOf(x.Curve), ServerName: bytesOf(x.ServerName),
			HasServerName: x.HasServerName, Resumed: x.Resumed, LastAlert: bytesOf(x.LastAlert),
			NextProtocol: bytesOf(x.NextProtocol), HasNextProtocol: x.HasNextProtocol, Established: x.Established,
			History: bytesOf(x.History), CertChainFps: s.list(6, x.CertChainFPs), ClientCertChainFps: s.list(7, x.ClientCertChainFPs),
			Subject: bytesOf(x.Subject), Issuer: bytesOf(x.Issuer), HasSubject: x.HasSubject,
			ClientSubject: bytesOf(x.ClientSubject), ClientIssuer: bytesOf(x.ClientIssuer), HasClientSubject: x.HasClientSubject,
			SniMatchesCert: pb.Tristate(x.SNIMatchesCert), Ja3: bytesOf(x.JA3), Ja3S: bytesOf(x.JA3S), Ja4: bytesOf(x.JA4),
		}
		p = payload{num: evTLS, msg: &s.tls}
	case ev.DNS != nil:
		x := ev.DNS
		s.dns = pb.DNS{
			Ts: x.TS, Uid: x.UID, Id: s.id(3, &x.ID), Proto: pb.Transport(x.Proto), TransId: uint32(x.TransID),
			Rtt: x.RTT, HasRtt: x.HasRTT, Query: bytesOf(x.Query), HasQuery: x.HasQuery,
			Qclass: uint32(x.QClass), QclassName: bytesOf(x.QClassName), Qtype: uint32(x.QType), QtypeName: bytesOf(x.QTypeName),
			HasQtype: x.HasQType, Rcode: uint32(x.RCode), RcodeName: bytesOf(x.RCodeName), HasRcode: x.HasRCode,
			Aa: x.AA, Tc: x.TC, Rd: x.RD, Ra: x.RA, Z: uint32(x.Z),
			Answers: s.listDNS(x.Answers), Ttls: x.TTLs, Rejected: x.Rejected,
			Opcode: uint32(x.Opcode), OpcodeName: bytesOf(x.OpcodeName),
		}
		p = payload{num: evDNS, msg: &s.dns}
	default:
		return p, false
	}
	p.size = proto.Size(p.msg)
	return p, true
}

// listDNS uses the last backing array (HTTP and TLS never share an event
// with DNS, but keep them apart for clarity).
func (s *protoScratch) listDNS(ss []string) [][]byte { return s.list(len(s.lists)-1, ss) }

// appendPayload writes the built message as field p.num.
func appendPayload(b []byte, p *payload) []byte {
	b = appendMessageHeader(b, protowire.Number(p.num), p.size)
	b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, p.msg)
	if err != nil {
		// The messages have no required fields and hold no invalid
		// UTF-8 in string fields (only the uid is a string): a failure
		// is a bug.
		panic("wire: marshalling " + err.Error())
	}
	return b
}

func str2(b []byte) string { return str(b) }

func strs(bs [][]byte) []string {
	if len(bs) == 0 {
		return nil
	}
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = str(b)
	}
	return out
}

func idFromPB(id *pb.ConnID) (event.ConnID, error) {
	var out event.ConnID
	if id == nil {
		return out, nil
	}
	o, ok1 := addr(id.OrigH)
	r, ok2 := addr(id.RespH)
	if !ok1 || !ok2 {
		return out, bad("conn_id: address length")
	}
	return event.ConnID{OrigH: o, RespH: r, OrigP: uint16(id.OrigP), RespP: uint16(id.RespP), Proto: event.Transport(id.Proto)}, nil
}

// decodeProto decodes a protocol payload into ev. The strings point into
// the buffers proto.Unmarshal allocated, which nothing else uses.
func decodeProto(num uint64, b []byte, ev *event.Event) error {
	clearPayload(ev)
	switch num {
	case evHTTP:
		var m pb.HTTP
		if err := proto.Unmarshal(b, &m); err != nil {
			return bad("http: " + err.Error())
		}
		id, err := idFromPB(m.Id)
		if err != nil {
			return err
		}
		ev.HTTP = &event.HTTP{
			TS: m.Ts, UID: m.Uid, ID: id, TransDepth: m.TransDepth,
			Method: str2(m.Method), Host: str2(m.Host), URI: str2(m.Uri), Referrer: str2(m.Referrer),
			Version: str2(m.Version), UserAgent: str2(m.UserAgent), Origin: str2(m.Origin),
			RequestBodyLen: m.RequestBodyLen, ResponseBodyLen: m.ResponseBodyLen,
			StatusCode: m.StatusCode, StatusMsg: str2(m.StatusMsg), InfoCode: m.InfoCode, InfoMsg: str2(m.InfoMsg),
			Tags: strs(m.Tags), Username: str2(m.Username), Password: str2(m.Password), Proxied: strs(m.Proxied),
			OrigFilenames: strs(m.OrigFilenames), OrigMIMETypes: strs(m.OrigMimeTypes),
			RespFilenames: strs(m.RespFilenames), RespMIMETypes: strs(m.RespMimeTypes),
			Set: event.HTTPField(m.Set),
		}
	case evSSH:
		var m pb.SSH
		if err := proto.Unmarshal(b, &m); err != nil {
			return bad("ssh: " + err.Error())
		}
		id, err := idFromPB(m.Id)
		if err != nil {
			return err
		}
		ev.SSH = &event.SSH{
			TS: m.Ts, UID: m.Uid, ID: id, Version: uint8(m.Version), HasVersion: m.HasVersion,
			AuthSuccess: event.Tristate(m.AuthSuccess), AuthAttempts: m.AuthAttempts, Direction: str2(m.Direction),
			Client: str2(m.Client), Server: str2(m.Server), CipherAlg: str2(m.CipherAlg), MACAlg: str2(m.MacAlg),
			CompressionAlg: str2(m.CompressionAlg), KexAlg: str2(m.KexAlg), HostKeyAlg: str2(m.HostKeyAlg), HostKey: str2(m.HostKey),
		}
	case evTLS:
		var m pb.TLS
		if err := proto.Unmarshal(b, &m); err != nil {
			return bad("tls: " + err.Error())
		}
		id, err := idFromPB(m.Id)
		if err != nil {
			return err
		}
		ev.TLS = &event.TLS{
			TS: m.Ts, UID: m.Uid, ID: id, VersionNum: uint16(m.VersionNum), Version: str2(m.Version),
			Cipher: str2(m.Cipher), Curve: str2(m.Curve), ServerName: str2(m.ServerName), HasServerName: m.HasServerName,
			Resumed: m.Resumed, LastAlert: str2(m.LastAlert), NextProtocol: str2(m.NextProtocol),
			HasNextProtocol: m.HasNextProtocol, Established: m.Established, History: str2(m.History),
			CertChainFPs: strs(m.CertChainFps), ClientCertChainFPs: strs(m.ClientCertChainFps),
			Subject: str2(m.Subject), Issuer: str2(m.Issuer), HasSubject: m.HasSubject,
			ClientSubject: str2(m.ClientSubject), ClientIssuer: str2(m.ClientIssuer), HasClientSubject: m.HasClientSubject,
			SNIMatchesCert: event.Tristate(m.SniMatchesCert), JA3: str2(m.Ja3), JA3S: str2(m.Ja3S), JA4: str2(m.Ja4),
		}
	case evDNS:
		var m pb.DNS
		if err := proto.Unmarshal(b, &m); err != nil {
			return bad("dns: " + err.Error())
		}
		id, err := idFromPB(m.Id)
		if err != nil {
			return err
		}
		ev.DNS = &event.DNS{
			TS: m.Ts, UID: m.Uid, ID: id, Proto: event.Transport(m.Proto), TransID: uint16(m.TransId),
			RTT: m.Rtt, HasRTT: m.HasRtt, Query: str2(m.Query), HasQuery: m.HasQuery,
			QClass: uint16(m.Qclass), QClassName: str2(m.QclassName), QType: uint16(m.Qtype), QTypeName: str2(m.QtypeName),
			HasQType: m.HasQtype, RCode: uint16(m.Rcode), RCodeName: str2(m.RcodeName), HasRCode: m.HasRcode,
			AA: m.Aa, TC: m.Tc, RD: m.Rd, RA: m.Ra, Z: uint8(m.Z), Answers: strs(m.Answers), TTLs: m.Ttls,
			Rejected: m.Rejected, Opcode: uint8(m.Opcode), OpcodeName: str2(m.OpcodeName),
		}
	}
	return nil
}
