package main

import (
	"encoding/binary"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// ---- file formats ----------------------------------------------------------

func filePcapNs(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	c.now = c.now.Add(123456789) // a start that is not a whole microsecond
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.rtt = 20*msec + 321
	t.gap = 12*usec + 7
	t.handshake()
	t.exchange(httpGet("/nanoseconds"), httpOK(512))
	t.close(orig)
	return c.pcapBytes(true)
}

func filePcapBE(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	sfConn(c, client4(), server4(), c.cport(0), 80)
	c.wait(10 * msec)
	q := dnsQuery(0x4245, "big-endian.example.test", layers.DNSTypeA)
	c.dns(client4(), newHost("198.18.0.53"), c.cport(1), q, dnsReply(q, "198.18.0.82"))
	return c.pcapBigEndian()
}

// pcapng block types and options written by hand for the multi-interface
// file: pcapgo.NgWriter fixes if_tsresol at 9 on every interface.
const (
	ngSHB = 0x0a0d0d0a
	ngIDB = 0x00000001
	ngEPB = 0x00000006
	ngISB = 0x00000005
)

type ngOpt struct {
	code uint16
	val  []byte
}

func ngOpts(opts []ngOpt) []byte {
	if len(opts) == 0 {
		return nil
	}
	var b []byte
	for _, o := range opts {
		b = le16(b, o.code)
		b = le16(b, uint16(len(o.val)))
		b = append(b, o.val...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return append(b, 0, 0, 0, 0) // opt_endofopt
}

func ngBlock(typ uint32, body []byte) []byte {
	n := uint32(12 + len(body))
	b := le32(nil, typ)
	b = le32(b, n)
	b = append(b, body...)
	return le32(b, n)
}

// fileNgMulti has two interfaces: 0 is Ethernet with the default
// microsecond resolution (no if_tsresol), 1 is raw IP with if_tsresol 9.
// Their packets interleave in time; an interface statistics block closes
// the file.
func fileNgMulti(slot int) []byte {
	eth := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	sfConn(eth, client4(), server4(), eth.cport(0), 80)

	rawc := newCapture(slot, layers.LinkTypeRaw, raw)
	rawc.iface = 1
	rawc.now = rawc.now.Add(5*msec + 777)
	q := dnsQuery(0x6e67, "pcapng.example.test", layers.DNSTypeA)
	rawc.dns(newHost("198.18.1.10"), newHost("198.18.1.53"), rawc.cport(1), q, dnsReply(q, "198.18.1.80"))
	rawc.wait(2*msec + 333)
	q6 := dnsQuery(0x6e68, "pcapng.example.test", layers.DNSTypeAAAA)
	rawc.dns(newHost("2001:db8:1::10"), newHost("2001:db8:1::53"), rawc.cport(2), q6, dnsReply(q6, "2001:db8:1::80"))

	shb := le32(nil, 0x1a2b3c4d)
	shb = le16(shb, 1)
	shb = le16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, 0xffffffffffffffff)
	shb = append(shb, ngOpts([]ngOpt{{4, []byte("weir testdata/gen")}})...) // shb_userappl
	out := ngBlock(ngSHB, shb)

	idb := func(lt layers.LinkType, opts ...ngOpt) []byte {
		b := le16(nil, uint16(lt))
		b = le16(b, 0)
		b = le32(b, defaultSnaplen)
		return ngBlock(ngIDB, append(b, ngOpts(opts)...))
	}
	out = append(out, idb(layers.LinkTypeEthernet, ngOpt{2, []byte("eth0")})...)
	out = append(out, idb(layers.LinkTypeRaw, ngOpt{2, []byte("tun0")}, ngOpt{9, []byte{9}})...)

	units := func(iface int, ts time.Time) uint64 {
		if iface == 0 {
			return uint64(ts.UnixNano() / 1000)
		}
		return uint64(ts.UnixNano())
	}
	recs := sorted(append(append([]record(nil), eth.recs...), rawc.recs...))
	for _, r := range recs {
		u := units(r.iface, r.ts)
		b := le32(nil, uint32(r.iface))
		b = le32(b, uint32(u>>32))
		b = le32(b, uint32(u))
		b = le32(b, uint32(len(r.data)))
		b = le32(b, uint32(r.wire))
		b = append(b, r.data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		out = append(out, ngBlock(ngEPB, b)...)
	}
	last := recs[len(recs)-1].ts
	for iface := range 2 {
		n := 0
		for _, r := range recs {
			if r.iface == iface {
				n++
			}
		}
		u := units(iface, last)
		b := le32(nil, uint32(iface))
		b = le32(b, uint32(u>>32))
		b = le32(b, uint32(u))
		b = append(b, ngOpts([]ngOpt{
			{4, binary.LittleEndian.AppendUint64(nil, uint64(n))}, // isb_ifrecv
			{5, binary.LittleEndian.AppendUint64(nil, 0)},         // isb_ifdrop
		})...)
		out = append(out, ngBlock(ngISB, b)...)
	}
	return out
}

func fileGzip(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/gzip"), httpOK(6000))
	t.close(orig)
	return gzipBytes(c.pcap())
}

func fileZstd(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	t := c.tcp(client4(), server4(), c.cport(0), 80)
	t.handshake()
	t.exchange(httpGet("/zstd"), httpOK(6000))
	t.close(orig)
	return zstdBytes(c.pcapngBytes("eth0"))
}

// fileTruncated is a complete connection's pcap cut half-way through the
// data of its sixth record, as a capture killed mid-write leaves it.
func fileTruncated(slot int) []byte {
	c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
	sfConn(c, client4(), server4(), c.cport(0), 80)
	b := c.pcap()
	off := 24
	for _, r := range c.recs[:5] {
		off += 16 + len(r.data)
	}
	return b[:off+16+len(c.recs[5].data)/2]
}

// split is one complete connection whose packets alternate between two
// files, a the even ones and b the odd ones.
func split(part int) func(slot int) []byte {
	return func(slot int) []byte {
		c := newCapture(slot, layers.LinkTypeEthernet, ethernet)
		sfConn(c, client4(), server4(), c.cport(0), 80)
		var keep []record
		for i, r := range c.recs {
			if i%2 == part {
				keep = append(keep, r)
			}
		}
		c.recs = keep
		return c.pcap()
	}
}

// localNets has connections between addresses that a config would call
// local (10/8, 192.168/16, fd00::/8, fe80::/10) and others (198.18/15,
// 2001:db8::/32), in every combination of local_orig and local_resp.
func localNets(c *capture) {
	type pair struct{ a, b string }
	tcps := []pair{
		{"10.0.0.5", "10.0.0.6"},        // local -> local
		{"10.0.0.5", "198.18.0.20"},     // local -> remote
		{"198.18.0.30", "192.168.1.10"}, // remote -> local
		{"fd00::1", "2001:db8::20"},     // local -> remote (ULA)
	}
	for i, p := range tcps {
		sfConn(c, newHost(p.a), newHost(p.b), c.cport(i), 80)
		c.wait(50 * msec)
	}
	udps := []pair{
		{"192.168.1.10", "10.0.0.6"},   // local -> local
		{"fe80::1", "fe80::2"},         // link-local -> link-local
		{"2001:db8::10", "fd00::1"},    // remote -> local
		{"198.18.0.40", "198.18.0.41"}, // remote -> remote
	}
	for i, p := range udps {
		a, b := newHost(p.a), newHost(p.b)
		c.udp(a, b, c.cport(8+i), 5000, []byte("local nets request"))
		c.wait(300 * usec)
		c.udp(b, a, 5000, c.cport(8+i), []byte("local nets reply"))
		c.wait(50 * msec)
	}
}
