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
// Covered: every kind and every field of core/event: ConnStart, ConnEnd,
// Weird, HTTPTransaction, SSHHandshake, TLSHandshake, DNSMessage,
// StreamData, Datagram. A field added to a core type must be added to
// sdk/event, to event.proto (new number), to sdk/internal/wire and here:
// TestConvertCoversCoreEvent fails until it is.

// scratch holds the payloads of one converted event. toSDK points the
// converted event into it; the next call overwrites it.
type scratch struct {
	conn  sdkevent.Conn
	weird sdkevent.Weird
	id    sdkevent.ConnID
	data  sdkevent.Data
	http  sdkevent.HTTP
	ssh   sdkevent.SSH
	tls   sdkevent.TLS
	dns   sdkevent.DNS
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
	case ev.HTTP != nil:
		s.http = httpToSDK(ev.HTTP)
		dst.HTTP = &s.http
	case ev.SSH != nil:
		s.ssh = sshToSDK(ev.SSH)
		dst.SSH = &s.ssh
	case ev.TLS != nil:
		s.tls = tlsToSDK(ev.TLS)
		dst.TLS = &s.tls
	case ev.DNS != nil:
		s.dns = dnsToSDK(ev.DNS)
		dst.DNS = &s.dns
	}
}

func httpToSDK(h *event.HTTP) sdkevent.HTTP {
	return sdkevent.HTTP{
		TS: h.TS, UID: h.UID, ID: idToSDK(&h.ID), TransDepth: h.TransDepth,
		Method: h.Method, Host: h.Host, URI: h.URI, Referrer: h.Referrer, Version: h.Version,
		UserAgent: h.UserAgent, Origin: h.Origin, RequestBodyLen: h.RequestBodyLen, ResponseBodyLen: h.ResponseBodyLen,
		StatusCode: h.StatusCode, StatusMsg: h.StatusMsg, InfoCode: h.InfoCode, InfoMsg: h.InfoMsg,
		Tags: h.Tags, Username: h.Username, Password: h.Password, Proxied: h.Proxied,
		OrigFilenames: h.OrigFilenames, OrigMIMETypes: h.OrigMIMETypes, RespFilenames: h.RespFilenames, RespMIMETypes: h.RespMIMETypes,
		Set: sdkevent.HTTPField(h.Set),
	}
}

func httpFromSDK(h *sdkevent.HTTP) event.HTTP {
	return event.HTTP{
		TS: h.TS, UID: h.UID, ID: idFromSDK(&h.ID), TransDepth: h.TransDepth,
		Method: h.Method, Host: h.Host, URI: h.URI, Referrer: h.Referrer, Version: h.Version,
		UserAgent: h.UserAgent, Origin: h.Origin, RequestBodyLen: h.RequestBodyLen, ResponseBodyLen: h.ResponseBodyLen,
		StatusCode: h.StatusCode, StatusMsg: h.StatusMsg, InfoCode: h.InfoCode, InfoMsg: h.InfoMsg,
		Tags: h.Tags, Username: h.Username, Password: h.Password, Proxied: h.Proxied,
		OrigFilenames: h.OrigFilenames, OrigMIMETypes: h.OrigMIMETypes, RespFilenames: h.RespFilenames, RespMIMETypes: h.RespMIMETypes,
		Set: event.HTTPField(h.Set),
	}
}

func sshToSDK(x *event.SSH) sdkevent.SSH {
	return sdkevent.SSH{
		TS: x.TS, UID: x.UID, ID: idToSDK(&x.ID), Version: x.Version, HasVersion: x.HasVersion,
		AuthSuccess: sdkevent.Tristate(x.AuthSuccess), AuthAttempts: x.AuthAttempts, Direction: x.Direction,
		Client: x.Client, Server: x.Server, CipherAlg: x.CipherAlg, MACAlg: x.MACAlg, CompressionAlg: x.CompressionAlg,
		KexAlg: x.KexAlg, HostKeyAlg: x.HostKeyAlg, HostKey: x.HostKey,
	}
}

func sshFromSDK(x *sdkevent.SSH) event.SSH {
	return event.SSH{
		TS: x.TS, UID: x.UID, ID: idFromSDK(&x.ID), Version: x.Version, HasVersion: x.HasVersion,
		AuthSuccess: event.Tristate(x.AuthSuccess), AuthAttempts: x.AuthAttempts, Direction: x.Direction,
		Client: x.Client, Server: x.Server, CipherAlg: x.CipherAlg, MACAlg: x.MACAlg, CompressionAlg: x.CompressionAlg,
		KexAlg: x.KexAlg, HostKeyAlg: x.HostKeyAlg, HostKey: x.HostKey,
	}
}

func tlsToSDK(x *event.TLS) sdkevent.TLS {
	return sdkevent.TLS{
		UID: x.UID, ID: idToSDK(&x.ID), TS: x.TS, VersionNum: x.VersionNum, Version: x.Version, Cipher: x.Cipher,
		Curve: x.Curve, ServerName: x.ServerName, HasServerName: x.HasServerName, Resumed: x.Resumed,
		LastAlert: x.LastAlert, NextProtocol: x.NextProtocol, HasNextProtocol: x.HasNextProtocol,
		Established: x.Established, History: x.History, CertChainFPs: x.CertChainFPs,
		ClientCertChainFPs: x.ClientCertChainFPs, Subject: x.Subject, Issuer: x.Issuer, HasSubject: x.HasSubject,
		ClientSubject: x.ClientSubject, ClientIssuer: x.ClientIssuer, HasClientSubject: x.HasClientSubject,
		SNIMatchesCert: sdkevent.Tristate(x.SNIMatchesCert), JA3: x.JA3, JA3S: x.JA3S, JA4: x.JA4,
	}
}

func tlsFromSDK(x *sdkevent.TLS) event.TLS {
	return event.TLS{
		UID: x.UID, ID: idFromSDK(&x.ID), TS: x.TS, VersionNum: x.VersionNum, Version: x.Version, Cipher: x.Cipher,
		Curve: x.Curve, ServerName: x.ServerName, HasServerName: x.HasServerName, Resumed: x.Resumed,
		LastAlert: x.LastAlert, NextProtocol: x.NextProtocol, HasNextProtocol: x.HasNextProtocol,
		Established: x.Established, History: x.History, CertChainFPs: x.CertChainFPs,
		ClientCertChainFPs: x.ClientCertChainFPs, Subject: x.Subject, Issuer: x.Issuer, HasSubject: x.HasSubject,
		ClientSubject: x.ClientSubject, ClientIssuer: x.ClientIssuer, HasClientSubject: x.HasClientSubject,
		SNIMatchesCert: event.Tristate(x.SNIMatchesCert), JA3: x.JA3, JA3S: x.JA3S, JA4: x.JA4,
	}
}

func dnsToSDK(x *event.DNS) sdkevent.DNS {
	return sdkevent.DNS{
		TS: x.TS, UID: x.UID, ID: idToSDK(&x.ID), Proto: sdkevent.Transport(x.Proto), TransID: x.TransID,
		RTT: x.RTT, HasRTT: x.HasRTT, Query: x.Query, HasQuery: x.HasQuery, QClass: x.QClass,
		QClassName: x.QClassName, QType: x.QType, QTypeName: x.QTypeName, HasQType: x.HasQType,
		RCode: x.RCode, RCodeName: x.RCodeName, HasRCode: x.HasRCode, AA: x.AA, TC: x.TC, RD: x.RD, RA: x.RA,
		Z: x.Z, Answers: x.Answers, TTLs: x.TTLs, Rejected: x.Rejected, Opcode: x.Opcode, OpcodeName: x.OpcodeName,
	}
}

func dnsFromSDK(x *sdkevent.DNS) event.DNS {
	return event.DNS{
		TS: x.TS, UID: x.UID, ID: idFromSDK(&x.ID), Proto: event.Transport(x.Proto), TransID: x.TransID,
		RTT: x.RTT, HasRTT: x.HasRTT, Query: x.Query, HasQuery: x.HasQuery, QClass: x.QClass,
		QClassName: x.QClassName, QType: x.QType, QTypeName: x.QTypeName, HasQType: x.HasQType,
		RCode: x.RCode, RCodeName: x.RCodeName, HasRCode: x.HasRCode, AA: x.AA, TC: x.TC, RD: x.RD, RA: x.RA,
		Z: x.Z, Answers: x.Answers, TTLs: x.TTLs, Rejected: x.Rejected, Opcode: x.Opcode, OpcodeName: x.OpcodeName,
	}
}

// slabs allocates the core payloads of one batch converted back from the
// SDK's events: one allocation per payload type per batch.
type slabs struct {
	conns  []event.Conn
	weirds []event.Weird
	ids    []event.ConnID
	datas  []event.Data
	https  []event.HTTP
	sshs   []event.SSH
	tlss   []event.TLS
	dnss   []event.DNS
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
		case ev.HTTP != nil:
			p := grow(&sl.https, left)
			*p = httpFromSDK(ev.HTTP)
			out.HTTP = p
		case ev.SSH != nil:
			p := grow(&sl.sshs, left)
			*p = sshFromSDK(ev.SSH)
			out.SSH = p
		case ev.TLS != nil:
			p := grow(&sl.tlss, left)
			*p = tlsFromSDK(ev.TLS)
			out.TLS = p
		case ev.DNS != nil:
			p := grow(&sl.dnss, left)
			*p = dnsFromSDK(ev.DNS)
			out.DNS = p
		}
		dst = append(dst, out)
	}
	return dst
}
