package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/zstd"
)

// epoch is where every file's clock starts: slot k starts k hours later,
// so that all the files could be read together without two of them
// overlapping in time.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const defaultSnaplen = 262144

type record struct {
	ts    time.Time
	iface int
	data  []byte // captured bytes
	wire  int    // length on the wire
}

// capture is one scripted capture: a clock that the script moves forward,
// a link-layer encapsulation, and the frames recorded so far.
type capture struct {
	linkType layers.LinkType
	snaplen  uint32
	link     linkFunc
	iface    int
	slot     int
	now      time.Time
	recs     []record
}

// newCapture starts a capture at the beginning of its slot.
func newCapture(slot int, lt layers.LinkType, link linkFunc) *capture {
	return &capture{linkType: lt, snaplen: defaultSnaplen, link: link, slot: slot,
		now: epoch.Add(time.Duration(slot) * time.Hour)}
}

// cport is a client port unique to the scenario's slot, so that files
// read together never share a 5-tuple by accident.
func (c *capture) cport(n int) uint16 { return uint16(32768 + c.slot*16 + n) }

// wait moves the capture clock forward.
func (c *capture) wait(d time.Duration) { c.now = c.now.Add(d) }

// frame records a link-layer frame at the current time, cut to snaplen.
func (c *capture) frame(f []byte) {
	n := len(f)
	if c.snaplen > 0 && n > int(c.snaplen) {
		f = f[:c.snaplen]
	}
	c.recs = append(c.recs, record{ts: c.now, iface: c.iface, data: f, wire: n})
}

// send records an IP packet from src to dst wrapped by the link function.
func (c *capture) send(src, dst *host, ip []byte) { c.frame(c.link(src, dst, ip)) }

// sorted returns the records in time order (stable, so scripted order
// breaks ties).
func sorted(recs []record) []record {
	out := append([]record(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ts.Before(out[j].ts) })
	return out
}

func ci(r record) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(r.data), Length: r.wire, InterfaceIndex: r.iface}
}

// pcapBytes writes the capture as a little-endian pcap file with
// microsecond (or nanosecond) timestamps.
func (c *capture) pcapBytes(nanos bool) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	must(w.WriteFileHeader(c.snaplen, c.linkType))
	for _, r := range sorted(c.recs) {
		must(w.WritePacket(ci(r), r.data))
	}
	return buf.Bytes()
}

func (c *capture) pcap() []byte { return c.pcapBytes(false) }

// pcapBigEndian writes a microsecond pcap file in big-endian byte order,
// as a big-endian machine's libpcap would. pcapgo only writes
// little-endian, so header and records are laid out here.
func (c *capture) pcapBigEndian() []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, 0xa1b2c3d4)
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 0) // thiszone
	b = be.AppendUint32(b, 0) // sigfigs
	b = be.AppendUint32(b, c.snaplen)
	b = be.AppendUint32(b, uint32(c.linkType))
	for _, r := range sorted(c.recs) {
		b = be.AppendUint32(b, uint32(r.ts.Unix()))
		b = be.AppendUint32(b, uint32(r.ts.Nanosecond()/1000))
		b = be.AppendUint32(b, uint32(len(r.data)))
		b = be.AppendUint32(b, uint32(r.wire))
		b = append(b, r.data...)
	}
	return b
}

// pcapngBytes writes the capture as pcapng through pcapgo.NgWriter, with a
// fixed section header so the file does not depend on the machine that
// made it. NgWriter always writes if_tsresol 9 (nanoseconds).
func (c *capture) pcapngBytes(ifname string) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf,
		pcapgo.NgInterface{Name: ifname, LinkType: c.linkType, SnapLength: c.snaplen},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "weir testdata/gen"}})
	must(err)
	for _, r := range sorted(c.recs) {
		must(w.WritePacket(ci(r), r.data))
	}
	must(w.Flush())
	return buf.Bytes()
}

// gzipBytes compresses with a header that carries no name or time.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	must(err)
	zw.OS = 3 // Unix, fixed rather than left to the library
	_, err = zw.Write(b)
	must(err)
	must(zw.Close())
	return buf.Bytes()
}

// zstdBytes compresses with one encoder goroutine so the output is
// reproducible.
func zstdBytes(b []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	must(err)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
