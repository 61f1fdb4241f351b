package decode

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// piece is one fragment to cut: payload bytes [off, off+n) of a datagram.
type piece struct {
	off, n int
	last   bool            // clear MF even if bytes follow
	edit   func(fr []byte) // applied to the finished fragment (IPv4: checksum fixed after)
}

// bigUDP4 is an IPv4 UDP datagram with n payload bytes in a recognizable
// pattern and the given IP id.
func bigUDP4(t testing.TB, n int, id uint16) []byte {
	ip := ipv4Layer(layers.IPProtocolUDP)
	ip.Id = id
	return serialize(t, ip, udpLayer(ip), gopacket.Payload(pattern(n, byte(id))))
}

func bigUDP6(t testing.TB, n int, hbh bool) []byte {
	ip := ipv6Layer(layers.IPProtocolUDP)
	ls := []gopacket.SerializableLayer{ip}
	if hbh {
		ip.NextHeader = layers.IPProtocolIPv6HopByHop
		h := &layers.IPv6HopByHop{}
		h.NextHeader = layers.IPProtocolUDP
		h.Options = []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: make([]byte, 4)}}
		ls = append(ls, h)
	}
	return serialize(t, append(ls, udpLayer(ip), gopacket.Payload(pattern(n, 0x66)))...)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) ^ byte(i>>8)*31 ^ seed
	}
	return b
}

// fragV4 cuts the IPv4 datagram dg into pieces.
func fragV4(dg []byte, pieces ...piece) [][]byte {
	hl := int(dg[0]&0xF) * 4
	payload := dg[hl:]
	var out [][]byte
	for _, pc := range pieces {
		fr := cat(dg[:hl], payload[pc.off:pc.off+pc.n])
		binary.BigEndian.PutUint16(fr[2:], uint16(len(fr)))
		fo := uint16(pc.off/8) | be16(dg[6:8])&ipv4DF
		if pc.off+pc.n < len(payload) && !pc.last {
			fo |= ipv4MF
		}
		binary.BigEndian.PutUint16(fr[6:], fo)
		if pc.edit != nil {
			pc.edit(fr)
		}
		fixIPv4Checksum(fr)
		out = append(out, fr)
	}
	return out
}

// fragV6 cuts the IPv6 datagram dg, whose unfragmentable part is its first
// unfrag bytes, into pieces with fragment id 0xabcdef01.
func fragV6(dg []byte, unfrag, nhOff int, pieces ...piece) [][]byte {
	payload := dg[unfrag:]
	var out [][]byte
	for _, pc := range pieces {
		fh := make([]byte, 8)
		fh[0] = dg[nhOff]
		fo := uint16(pc.off)
		if pc.off+pc.n < len(payload) && !pc.last {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fo)
		binary.BigEndian.PutUint32(fh[4:], 0xabcdef01)
		fr := cat(dg[:unfrag], fh, payload[pc.off:pc.off+pc.n])
		fr[nhOff] = 44
		binary.BigEndian.PutUint16(fr[4:], uint16(len(fr)-40))
		if pc.edit != nil {
			pc.edit(fr)
		}
		out = append(out, fr)
	}
	return out
}

// even cuts n payload bytes into fragments of size (a multiple of 8).
func even(n, size int) []piece {
	var ps []piece
	for off := 0; off < n; off += size {
		ps = append(ps, piece{off: off, n: min(size, n-off)})
	}
	return ps
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// feed decodes frames as raw IP in order at 1 ms steps, expecting Fragment
// for all but the last, and returns the last packet.
func feed(t *testing.T, d *Decoder, frames [][]byte) *Packet {
	t.Helper()
	p, _ := feedAll(t, d, frames)
	return p
}

// feedAll is feed that also returns the extra weirds of all the packets.
func feedAll(t *testing.T, d *Decoder, frames [][]byte) (*Packet, WeirdSet) {
	t.Helper()
	var p *Packet
	var extra WeirdSet
	for i, fr := range frames {
		p = &Packet{TS: int64(i) * 1e6, Link: sources.LinkRaw, Data: fr, WireLen: len(fr)}
		d.Decode(p)
		extra |= p.ExtraWeird
		if i < len(frames)-1 && p.Status != Fragment {
			t.Fatalf("fragment %d: status %v weird %q", i, p.Status, p.Weird)
		}
	}
	return p, extra
}

func wantDatagram(t *testing.T, p *Packet, dg []byte) {
	t.Helper()
	if p.Status != OK || !p.Reassembled {
		t.Fatalf("status %v %q reassembled %v", p.Status, p.Weird, p.Reassembled)
	}
	if !bytes.Equal(p.IP, dg) {
		t.Fatalf("reassembled datagram differs:\n got %x\nwant %x", p.IP, dg)
	}
	if p.IPTotalLen != len(dg) || p.BadChecksum || p.Truncated {
		t.Fatalf("total %d (want %d) bad %v trunc %v", p.IPTotalLen, len(dg), p.BadChecksum, p.Truncated)
	}
}

func TestFragmentsIPv4Orders(t *testing.T) {
	dg := bigUDP4(t, 4000, 1)
	pl := len(dg) - 20
	ps := even(pl, 1480)
	shuffled := append([]piece(nil), ps...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for name, order := range map[string][]piece{
		"in order": ps,
		"reverse":  reversed(ps),
		"shuffled": shuffled,
		"small":    even(pl, 64),
		"dup":      {ps[0], ps[0], ps[1], ps[2]},
	} {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(DefaultConfig())
			p := feed(t, d, fragV4(dg, order...))
			wantDatagram(t, p, dg)
			if p.Proto != protoUDP || p.DstPort != 53 || !bytes.Equal(p.Payload, pattern(4000, 1)) || p.PayloadLen != 4000 {
				t.Fatalf("transport: proto %d port %d payload %d bytes", p.Proto, p.DstPort, len(p.Payload))
			}
			s := d.Stats()
			if s.FragReassembled != 1 || s.FragInFlight != 0 || s.OK != 1 || s.Fragment != uint64(len(order)-1) {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestFragmentOverlap(t *testing.T) {
	dg := bigUDP4(t, 3000, 2)
	pl := len(dg) - 20
	t.Run("consistent", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		frs := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1000, n: 1000}, piece{off: 1480, n: pl - 1480})
		p := feed(t, d, frs[:2])
		if p.ExtraWeird != WeirdFragmentOverlap {
			t.Fatalf("extra %v", p.ExtraWeird)
		}
		p = feed(t, d, frs[2:])
		wantDatagram(t, p, dg)
		if p.ExtraWeird != WeirdFragmentOverlap {
			t.Fatalf("extra on the last %v", p.ExtraWeird)
		}
	})
	t.Run("inconsistent first wins", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		scribble := func(fr []byte) { fr[20+10] ^= 0xFF }
		frs := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1400, n: 1600 - 8, edit: scribble}, piece{off: 1480, n: pl - 1480})
		p := feed(t, d, frs[:2])
		if p.ExtraWeird != WeirdFragmentInconsistency || p.Status != Fragment {
			t.Fatalf("status %v extra %v", p.Status, p.ExtraWeird)
		}
		p = feed(t, d, frs[2:])
		wantDatagram(t, p, dg)
	})
	t.Run("inconsistent later bytes kept", func(t *testing.T) {
		// The scribbled fragment comes first: its bytes win.
		d := NewDecoder(DefaultConfig())
		scribble := func(fr []byte) { fr[20+1] ^= 0xFF }
		frs := fragV4(dg, piece{off: 1472, n: 16, edit: scribble}, piece{off: 0, n: 1480}, piece{off: 1480, n: pl - 1480})
		p, extra := feedAll(t, d, frs)
		if p.Status != OK || extra != WeirdFragmentInconsistency|WeirdFragmentOverlap|WeirdExcessivelySmallFragment {
			t.Fatalf("status %v extra %v", p.Status, extra)
		}
		want := append([]byte(nil), dg...)
		want[20+1473] ^= 0xFF
		if !bytes.Equal(p.IP[20:], want[20:]) {
			t.Fatal("the first copy did not win")
		}
		if got := extra.String(); got != "fragment_overlap,fragment_inconsistency,excessively_small_fragment" {
			t.Fatalf("names %q", got)
		}
	})
}

func TestFragmentWeirds(t *testing.T) {
	dg := bigUDP4(t, 3000, 3)
	pl := len(dg) - 20
	df := func(fr []byte) { fr[6] |= 0x40 }
	tiny := bigUDP4(t, 30, 4)

	t.Run("with DF", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		p := feed(t, d, fragV4(dg, piece{off: 0, n: 1480, edit: df}, piece{off: 1480, n: pl - 1480, edit: df}))
		if p.Status != OK || p.ExtraWeird != WeirdFragmentWithDF {
			t.Fatalf("status %v extra %v", p.Status, p.ExtraWeird)
		}
	})
	t.Run("excessively small", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		p := feed(t, d, fragV4(tiny, piece{off: 0, n: 16})[:1])
		if p.Status != Fragment || p.ExtraWeird != WeirdExcessivelySmallFragment {
			t.Fatalf("status %v extra %v", p.Status, p.ExtraWeird)
		}
	})
	t.Run("excessively large", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		fr := fragV4(dg, piece{off: 0, n: 1480})[0]
		binary.BigEndian.PutUint16(fr[6:], ipv4MF|8000) // payload to 65480
		fixIPv4Checksum(fr)
		p := decodeWith(d, sources.LinkRaw, fr)
		if p.Status != Fragment || p.ExtraWeird != WeirdExcessivelyLargeFragment {
			t.Fatalf("status %v extra %v", p.Status, p.ExtraWeird)
		}
		binary.BigEndian.PutUint16(fr[6:], ipv4MF|8190) // payload to 66960: no datagram is that long
		fixIPv4Checksum(fr)
		p = decodeWith(d, sources.LinkRaw, fr)
		if p.Status != Weird || p.Weird != "excessively_large_fragment" {
			t.Fatalf("status %v weird %q", p.Status, p.Weird)
		}
	})
	t.Run("size inconsistency", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		frs := fragV4(dg, piece{off: 1480, n: 1000, last: true}, piece{off: 1480, n: pl - 1480}, piece{off: 0, n: 1480})
		p := feed(t, d, frs[:2])
		if p.ExtraWeird != WeirdFragmentSizeInconsistency|WeirdFragmentOverlap {
			t.Fatalf("extra %v", p.ExtraWeird)
		}
		wantDatagram(t, feed(t, d, frs[2:]), dg) // the larger size wins, as in Zeek
	})
	t.Run("incompletely captured", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		frs := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1480, n: pl - 1480})
		p := &Packet{Link: sources.LinkRaw, Data: frs[0][:100], WireLen: len(frs[0])}
		d.Decode(p)
		// As in Zeek, the UDP length (of the whole datagram) disagrees
		// with the fragment's IP length.
		if p.Status != OK || p.ExtraWeird != WeirdIncompletelyCapturedFragment|WeirdUDPDatagramLengthMismatch ||
			p.DstPort != 53 || !p.Truncated || p.Reassembled {
			t.Fatalf("first: status %v extra %v port %d", p.Status, p.ExtraWeird, p.DstPort)
		}
		p = &Packet{Link: sources.LinkRaw, Data: frs[1][:100], WireLen: len(frs[1])}
		d.Decode(p)
		if p.Status != Weird || p.Weird != "incompletely_captured_fragment" {
			t.Fatalf("second: status %v weird %q", p.Status, p.Weird)
		}
		if d.Stats().FragInFlight != 0 {
			t.Fatal("a cut fragment was stored")
		}
	})
	t.Run("too many holes", func(t *testing.T) {
		big := bigUDP4(t, 8*200, 5)
		var ps []piece
		for i := 0; i < 2*fragMaxSpans+2; i += 2 {
			ps = append(ps, piece{off: i * 8, n: 8})
		}
		d := NewDecoder(DefaultConfig())
		frs := fragV4(big, ps...)
		var p *Packet
		for _, fr := range frs {
			if p = decodeWith(d, sources.LinkRaw, fr); p.Status != Fragment {
				break
			}
		}
		if p.Status != Weird || p.Weird != "fragment_limit_exceeded" || d.Stats().FragInFlight != 0 {
			t.Fatalf("status %v weird %q stats %+v", p.Status, p.Weird, d.Stats())
		}
	})
	t.Run("key includes protocol", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		frs := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1480, n: pl - 1480, edit: func(fr []byte) { fr[9] = 6 }})
		feed(t, d, frs[:1])
		if p := decodeWith(d, sources.LinkRaw, frs[1]); p.Status != Fragment || d.Stats().FragInFlight != 2 {
			t.Fatalf("status %v in flight %d", p.Status, d.Stats().FragInFlight)
		}
	})
}

func TestFragmentsIPv6(t *testing.T) {
	for _, hbh := range []bool{false, true} {
		dg := bigUDP6(t, 3000, hbh)
		unfrag, nhOff := 40, 6
		if hbh {
			unfrag, nhOff = 48, 40
		}
		ps := even(len(dg)-unfrag, 1232)
		for name, order := range map[string][]piece{"in order": ps, "reverse": reversed(ps)} {
			t.Run(name, func(t *testing.T) {
				d := NewDecoder(DefaultConfig())
				frs := fragV6(dg, unfrag, nhOff, order...)
				p := feed(t, d, frs[:1])
				if p.Proto != protoUDP && !(p.Proto == 17) || p.IPHdrLen != unfrag+8 {
					t.Fatalf("fragment: proto %d hdr %d", p.Proto, p.IPHdrLen)
				}
				p = feed(t, d, frs[1:])
				wantDatagram(t, p, dg)
				if p.IPHdrLen != unfrag || p.Proto != protoUDP || !bytes.Equal(p.Payload, pattern(3000, 0x66)) {
					t.Fatalf("hdr %d proto %d payload %d bytes", p.IPHdrLen, p.Proto, len(p.Payload))
				}
			})
		}
	}

	dg := bigUDP6(t, 2000, false)
	pl := len(dg) - 40
	t.Run("protocol inconsistency", func(t *testing.T) {
		d := NewDecoder(DefaultConfig())
		frs := fragV6(dg, 40, 6, piece{off: 0, n: 1232}, piece{off: 1232, n: pl - 1232, edit: func(fr []byte) { fr[40] = 6 }})
		p := feed(t, d, frs)
		if p.ExtraWeird != WeirdFragmentProtocolInconsistency {
			t.Fatalf("extra %v", p.ExtraWeird)
		}
		wantDatagram(t, p, dg) // the offset-0 fragment names the protocol
	})
	t.Run("nested fragment header", func(t *testing.T) {
		// The fragmentable part starts with another fragment header.
		inner := fragV6(dg, 40, 6, piece{off: 0, n: 800})[0]
		outer := cat(inner[:40], inner[40:])
		outer[6] = 44
		frs := fragV6(outer, 40, 6, piece{off: 0, n: 400}, piece{off: 400, n: len(outer) - 440})
		for _, fr := range frs {
			binary.BigEndian.PutUint32(fr[44:], 7) // another id than inner's
		}
		d := NewDecoder(DefaultConfig())
		p := feed(t, d, frs)
		if p.Status != Weird || p.Weird != "nested_IPv6_fragment" {
			t.Fatalf("status %v weird %q", p.Status, p.Weird)
		}
	})
	t.Run("longer unfragmentable part at offset 0", func(t *testing.T) {
		// A later fragment arrives first with a plain header; the offset-0
		// fragment brings a hop-by-hop header, which the buffer must make
		// room for.
		withHBH := bigUDP6(t, 2000, true)
		plain := append(append([]byte(nil), withHBH[:40]...), withHBH[48:]...)
		plain[6] = withHBH[40]
		binary.BigEndian.PutUint16(plain[4:], uint16(len(plain)-40))
		tail := fragV6(plain, 40, 6, piece{off: 1232, n: len(plain) - 40 - 1232})[0]
		head := fragV6(withHBH, 48, 40, piece{off: 0, n: 1232})[0]
		d := NewDecoder(DefaultConfig())
		p := feed(t, d, [][]byte{tail, head})
		if !p.ExtraWeird.Has(WeirdFragmentProtocolInconsistency) {
			t.Fatalf("extra %v", p.ExtraWeird)
		}
		wantDatagram(t, p, withHBH)
	})
}

func TestFragmentEvictionByCount(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFragDatagrams = 4
	d := NewDecoder(cfg)
	var rests [][]byte
	for id := range uint16(6) {
		frs := fragV4(bigUDP4(t, 2000, id), piece{off: 0, n: 1480}, piece{off: 1480, n: 528})
		feed(t, d, frs[:1])
		rests = append(rests, frs[1])
	}
	if s := d.Stats(); s.FragEvicted != 2 || s.FragInFlight != 4 {
		t.Fatalf("stats %+v", s)
	}
	// The two oldest were dropped: their rest starts a new datagram. (Newest
	// first, or those would evict more.)
	for id := len(rests) - 1; id >= 0; id-- {
		p := decodeWith(d, sources.LinkRaw, rests[id])
		if wantOK := id >= 2; (p.Status == OK) != wantOK {
			t.Fatalf("datagram %d: status %v", id, p.Status)
		}
	}
}

func TestFragmentEvictionByBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFragBytes = 1 // raised to the minimum, two of the largest buffers
	d := NewDecoder(cfg)
	if d.Config().MaxFragBytes != 2*fragBufMax {
		t.Fatalf("MaxFragBytes %d", d.Config().MaxFragBytes)
	}
	for id := range uint16(200) {
		feed(t, d, fragV4(bigUDP4(t, 2000, id), piece{off: 0, n: 1480})[:1])
		if s := d.Stats(); s.FragBytes > 2*fragBufMax {
			t.Fatalf("held %d bytes", s.FragBytes)
		}
	}
	s := d.Stats()
	if s.FragEvicted == 0 || s.FragInFlight+int(s.FragEvicted) != 200 || s.FragInFlight != 2*fragBufMax/2048 {
		t.Fatalf("stats %+v", s)
	}
	// A datagram as large as they come still fits.
	huge := bigUDP4(t, 65000, 9999)
	p := feed(t, d, fragV4(huge, even(65008, 8000)...))
	wantDatagram(t, p, huge)
}

func TestFragmentExpiry(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FragTimeout = 1e9
	d := NewDecoder(cfg)
	dg := bigUDP4(t, 2000, 7)
	frs := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1480, n: 528})
	d.Decode(&Packet{TS: 5e9, Link: sources.LinkRaw, Data: frs[0]})
	d.Decode(&Packet{TS: 5.5e9, Link: sources.LinkRaw, Data: ipv4TCP(t, nil)})
	if s := d.Stats(); s.FragExpired != 0 || s.FragInFlight != 1 {
		t.Fatalf("expired early: %+v", s)
	}
	p := &Packet{TS: 6e9, Link: sources.LinkRaw, Data: frs[1]}
	d.Decode(p)
	if p.Status != Fragment {
		t.Fatalf("completed from an expired fragment: %v", p.Status)
	}
	if s := d.Stats(); s.FragExpired != 1 || s.FragInFlight != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// The reassembly buffer is reused only after the next Decode, and a second
// datagram with the same key as a completed one reassembles afresh.
func TestFragmentBufferReuse(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	a := bigUDP4(t, 2000, 8)
	b := bigUDP4(t, 1990, 8)
	frsA := fragV4(a, piece{off: 0, n: 1480}, piece{off: 1480, n: 528})
	frsB := fragV4(b, piece{off: 0, n: 1480}, piece{off: 1480, n: 518})
	pa := feed(t, d, frsA)
	wantDatagram(t, pa, a)
	saved := append([]byte(nil), pa.IP...)
	pb := feed(t, d, frsB)
	wantDatagram(t, pb, b)
	if !bytes.Equal(saved, a) {
		t.Fatal("copy of the first datagram changed")
	}
	if s := d.Stats(); s.FragReassembled != 2 || s.FragInFlight != 0 || s.FragBytes != 2048+4096 {
		t.Fatalf("stats %+v", s)
	}
}
