package file

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/weirnet/weir/sources"
)

var orders = []struct {
	name string
	o    byteOrder
}{{"le", binary.LittleEndian}, {"be", binary.BigEndian}}

var compressions = []struct {
	name string
	fn   func(testing.TB, []byte) []byte
}{
	{"plain", func(_ testing.TB, b []byte) []byte { return b }},
	{"gzip", gzipped},
	{"zstd", zstded},
}

// testPackets has edge cases: an empty frame, a snapped one, a jumbo one.
func testPackets() []frame {
	const t0 = 1700000000_123456789
	sizes := []int{60, 0, 1, 1514, 9000, 77}
	var out []frame
	for i, n := range sizes {
		wire := n
		if i == 3 {
			wire = 4000 // snapped
		}
		out = append(out, frame{
			TS:      t0 + int64(i)*1_000_001_001,
			Data:    string(payload(i, n)),
			WireLen: wire,
			Link:    sources.LinkEthernet,
		})
	}
	return out
}

func TestPcapFormats(t *testing.T) {
	for _, bo := range orders {
		for _, nano := range []bool{false, true} {
			for _, c := range compressions {
				name := fmt.Sprintf("%s/nano=%v/%s", bo.name, nano, c.name)
				t.Run(name, func(t *testing.T) {
					want := testPackets()
					w := newPcap(bo.o, nano, sources.LinkEthernet, 65535)
					for i := range want {
						w.packet(want[i].TS, []byte(want[i].Data), want[i].WireLen)
						if !nano {
							want[i].TS -= want[i].TS % 1000
						}
					}
					b := c.fn(t, w.bytes())
					path := writeFile(t, "capture", b)
					src, err := Open(path)
					if err != nil {
						t.Fatal(err)
					}
					defer src.Close()
					got, err := readAll(src)
					if err != nil {
						t.Fatal(err)
					}
					compareFrames(t, got, want)
					done, total := src.(sources.Progresser).Progress()
					if done != int64(len(b)) || total != int64(len(b)) {
						t.Errorf("Progress() = %d, %d; want %d, %d", done, total, len(b), len(b))
					}
				})
			}
		}
	}
}

// nsFrom converts a pcapng timestamp with exact arithmetic, independently
// of the code under test.
func nsFrom(units uint64, resol byte, offset int64) int64 {
	num := new(big.Int).SetUint64(units)
	num.Mul(num, big.NewInt(1e9))
	den := new(big.Int)
	if resol&0x80 != 0 {
		den.Lsh(big.NewInt(1), uint(resol&0x7f))
	} else {
		den.Exp(big.NewInt(10), big.NewInt(int64(resol)), nil)
	}
	num.Quo(num, den)
	return num.Int64() + offset*1e9
}

func TestPcapngFormats(t *testing.T) {
	resolutions := []struct {
		name  string
		resol byte // if_tsresol; 0 writes none (microseconds)
		units uint64
		off   int64
	}{
		{"default-us", 0, 1700000000_123456, 0},
		{"ns", 9, 1700000000_123456789, 0},
		{"ms", 3, 1700000000_123, 0},
		{"s", 0x00 | 0, 1700000000, 0}, // written as default; see below
		{"ps", 12, 1_000_000_000_123_456_789, 0},
		{"2^-20", 0x80 | 20, 1700000000 << 20, 0},
		{"2^-32", 0x80 | 32, 1700000000<<32 | 0x80000000, 0},
		{"2^0", 0x80, 1700000000, 0},
		{"offset", 6, 123_456, 1700000000},
		{"negative-offset", 9, 1700003600_000000001, -3600},
	}
	for _, bo := range orders {
		for _, r := range resolutions {
			for _, c := range compressions {
				t.Run(bo.name+"/"+r.name+"/"+c.name, func(t *testing.T) {
					w := newNg(bo.o)
					w.idb(uint16(sources.LinkRaw), 0, r.resol, r.off)
					var want []frame
					for i, p := range testPackets() {
						units := r.units + uint64(i)*7919
						w.epb(0, units, []byte(p.Data), p.WireLen)
						eff := r.resol
						if eff == 0 {
							eff = 6
						}
						p.TS = nsFrom(units, eff, r.off)
						p.Link = sources.LinkRaw
						want = append(want, p)
					}
					b := c.fn(t, w.bytes())
					src, err := Open(writeFile(t, "capture", b))
					if err != nil {
						t.Fatal(err)
					}
					defer src.Close()
					got, err := readAll(src)
					if err != nil {
						t.Fatal(err)
					}
					compareFrames(t, got, want)
				})
			}
		}
	}
}

// TestPcapngInterfaces reads a file with two sections of different byte
// order, interfaces of different link types and resolutions, the obsolete
// and simple packet blocks, and blocks to skip.
func TestPcapngInterfaces(t *testing.T) {
	w := newNg(binary.LittleEndian)
	w.idb(uint16(sources.LinkEthernet), 262144, 0, 0) // iface 0: µs
	w.idb(uint16(sources.LinkSLL), 128, 0x80|30, 100) // iface 1: 2^-30 s, +100 s
	w.block(blockNRB, []byte{0, 0, 0, 0})             // only the end record
	w.epb(0, 1_000_000, []byte("eth-a"), 5)
	w.epb(1, 3<<30, []byte("sll-a"), 1500)
	w.block(blockCustom, []byte{0, 0, 0x7e, 0x1f, 'x', 'y', 'z'}) // PEN + data
	w.pb(1, 1<<29, []byte("sll-pb"), 6)
	w.block(blockISB, make([]byte, 12))
	w.epb(0, 2_000_000, []byte("eth-b"), 64)
	// Second section, big-endian: its interfaces start again at 0 in the
	// file, but get new Frame.Iface numbers.
	w.o = binary.BigEndian
	w.shb()
	w.idb(uint16(sources.LinkRaw), 4, 9, 0) // snap length 4, ns
	w.epb(0, 5_000_000_001, []byte("raw"), 3)
	w.spb([]byte("simple-cut"), 10) // cut to the snap length 4
	w.block(blockDSB, make([]byte, 40))

	want := []frame{
		{1e9, "eth-a", 5, sources.LinkEthernet, 0},
		{103e9, "sll-a", 1500, sources.LinkSLL, 1},
		{100e9 + 5e8, "sll-pb", 6, sources.LinkSLL, 1},
		{2e9, "eth-b", 64, sources.LinkEthernet, 0},
		{5e9 + 1, "raw", 3, sources.LinkRaw, 2},
		{5e9 + 1, "simp", 10, sources.LinkRaw, 2}, // no timestamp: the last one
	}
	for _, c := range compressions {
		t.Run(c.name, func(t *testing.T) {
			src, err := openBytes("two.pcapng", c.fn(t, w.bytes()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(src)
			if err != nil {
				t.Fatal(err)
			}
			compareFrames(t, got, want)
		})
	}
}

func compareFrames(t *testing.T, got, want []frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d frames, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Data != w.Data {
			t.Errorf("frame %d: data %.20q (%d bytes), want %.20q (%d bytes)", i, g.Data, len(g.Data), w.Data, len(w.Data))
		}
		g.Data, w.Data = "", ""
		if g != w {
			t.Errorf("frame %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestLargePacket reads a packet larger than the read buffer, which the
// buffer must grow for, between small ones.
func TestLargePacket(t *testing.T) {
	const big = 3 << 20
	w := newPcap(binary.LittleEndian, true, sources.LinkEthernet, 8<<20)
	w.packet(1, payload(1, 100), 100)
	w.packet(2, payload(2, big), big)
	w.packet(3, payload(3, 100), 100)
	src, err := openBytes("big.pcap", w.bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[1].Data) != big || got[1].Data != string(payload(2, big)) || got[2].Data != string(payload(3, 100)) {
		t.Fatalf("large packet not read back intact (%d frames)", len(got))
	}
}

// TestOldPcapVersion reads a pcap 2.2 file, whose records put the original
// length before the captured one.
func TestOldPcapVersion(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, sources.LinkEthernet, 65535)
	b := w.bytes()
	binary.LittleEndian.PutUint16(b[6:], 2)
	w.packet(1000, []byte("abc"), 3)
	b = w.bytes()
	// Rewrite the record as (len, caplen) = (60, 3).
	binary.LittleEndian.PutUint32(b[24+8:], 60)
	binary.LittleEndian.PutUint32(b[24+12:], 3)
	src, err := openBytes("old.pcap", b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Data != "abc" || got[0].WireLen != 60 {
		t.Fatalf("got %+v", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"text.pcap", []byte("hello, world"), "open text.pcap: not a pcap or pcapng file (magic 0x68656c6c)"},
		{"empty.pcap", nil, "open empty.pcap: not a pcap or pcapng file (empty)"},
		{"short.pcap", []byte{0xd4, 0xc3}, "open short.pcap: not a pcap or pcapng file (only 2 bytes)"},
		{"text.gz", gzipped(t, []byte("hello, world")), "open text.gz: not a pcap or pcapng file (gzip-compressed, magic 0x68656c6c)"},
		{"empty.zst", zstded(t, nil), "open empty.zst: not a pcap or pcapng file (zstd-compressed, empty)"},
		{"c.pcap.xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}, "open c.pcap.xz: not a pcap or pcapng file (magic 0xfd377a58, looks xz-compressed, which is not supported)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openBytes(tt.name, tt.content)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v\nwant        %s", err, tt.want)
			}
			if !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("error does not wrap ErrUnknownFormat")
			}
		})
	}
}

func TestBadHeaders(t *testing.T) {
	pcap := newPcap(binary.LittleEndian, false, 1, 65535).bytes()
	ng := newNg(binary.LittleEndian).bytes()
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"short.pcap", pcap[:10], "open short.pcap: truncated pcap file header (24 bytes needed, 10 present)"},
		{"v3.pcap", patch(pcap, 4, 3, 0), "open v3.pcap: corrupt pcap file header: unsupported version 3.4"},
		{"short.pcapng", ng[:20], "open short.pcapng: truncated section header block (header says 48 bytes, 20 present)"},
		{"magic.pcapng", patch(ng, 8, 1, 2, 3, 4), "open magic.pcapng: corrupt section header block: byte-order magic 0x01020304"},
		{"v2.pcapng", patch(ng, 12, 2, 0), "open v2.pcapng: corrupt section header block: unsupported pcapng version 2.0"},
		{"trailer.pcapng", patch(ng, len(ng)-4, 0, 1, 0, 0), "open trailer.pcapng: corrupt section header block: trailing length 256 does not match leading length 48"},
		{"header.gz", []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "open header.gz: gzip: invalid header"},
		{"short.gz", []byte{0x1f, 0x8b}, "open short.gz: gzip: unexpected EOF"},
		{"cut.zst", zstded(t, pcap)[:10], "open cut.zst: zstd: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openBytes(tt.name, tt.content)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v\nwant        %s", err, tt.want)
			}
		})
	}
}

// patch returns a copy of b with bytes from off replaced.
func patch(b []byte, off int, with ...byte) []byte {
	c := bytes.Clone(b)
	copy(c[off:], with)
	return c
}

// TestCorrupt checks that impossible values end the source with an error
// naming the packet and its offset, after the good frames.
func TestCorrupt(t *testing.T) {
	good := payload(0, 60)
	pcap := func(caplen uint32) []byte {
		w := newPcap(binary.LittleEndian, false, 1, 65535)
		w.packet(1000, good, 60)
		w.packet(2000, good, 60)
		b := bytes.Clone(w.bytes())
		binary.LittleEndian.PutUint32(b[w.offs[1]+8:], caplen)
		return b
	}
	ng := func(edit func(w *ngWriter)) []byte {
		w := newNg(binary.LittleEndian)
		w.idb(1, 0, 0, 0)
		w.epb(0, 1, good, 60)
		edit(w)
		return w.bytes()
	}
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"caplen.pcap", pcap(0xfffffff0), "read caplen.pcap: packet 2 at offset 100: corrupt record: caplen 4294967280 exceeds the limit of 262144 bytes"},
		{"iface.pcapng", ng(func(w *ngWriter) { w.epb(3, 1, good, 60) }),
			"read iface.pcapng: packet 2 at offset 192: corrupt enhanced packet block: interface 3 is not defined (the section has 1)"},
		{"length.pcapng", ng(func(w *ngWriter) { w.buf.Write([]byte{6, 0, 0, 0, 13, 0, 0, 0}) }),
			"read length.pcapng: packet 2 at offset 192: corrupt block: length 13"},
		{"nrb.pcapng", ng(func(w *ngWriter) { w.buf.Write([]byte{4, 0, 0, 0, 2, 0, 0, 0}) }),
			"read nrb.pcapng: name resolution block at offset 192 (before packet 2): corrupt block: length 2"},
		{"skip-trailer.pcapng", ng(func(w *ngWriter) { w.block(0x1234, []byte("abcd")); w.buf.Bytes()[w.buf.Len()-1] = 9 }),
			"read skip-trailer.pcapng: block of type 0x00001234 at offset 192 (before packet 2): corrupt block: trailing length 150994960 does not match leading length 16"},
		{"caplen.pcapng", ng(func(w *ngWriter) {
			w.epb(0, 1, good, 60)
			binary.LittleEndian.PutUint32(w.buf.Bytes()[w.offs[1]+20:], 61+64)
		}), "read caplen.pcapng: packet 2 at offset 192: corrupt enhanced packet block: caplen 125 does not fit in a block of 112 bytes"},
		{"no-idb.pcapng", func() []byte {
			w := newNg(binary.LittleEndian)
			w.spb(good, 60)
			return w.bytes()
		}(), "read no-idb.pcapng: packet 1 at offset 48: corrupt simple packet block: no interface is defined"},
		{"resol.pcapng", func() []byte {
			w := newNg(binary.LittleEndian)
			w.idb(1, 0, 0x7f, 0) // 10^-127: beyond what 64 bits convert
			return w.bytes()
		}(), "read resol.pcapng: interface description block at offset 48 (before packet 1): corrupt block: if_tsresol 0x7f is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := openBytes(tt.name, tt.content)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(src)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got error %v\nwant        %s", err, tt.want)
			}
			var re *ReadError
			if !errors.As(err, &re) || !errors.Is(err, ErrCorrupt) {
				t.Errorf("error is not a *ReadError wrapping ErrCorrupt")
			} else if int(re.Packet) != len(got)+1 {
				t.Errorf("error names packet %d after %d frames", re.Packet, len(got))
			}
			if err2 := src.Next(new(sources.Frame)); err2 != err {
				t.Errorf("Next after the error returned %v, want the same error", err2)
			}
		})
	}
}

// TestTruncatedMessage pins the message format the lead's output relies on.
func TestTruncatedMessage(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, 1, 65535)
	for i := range 3 {
		w.packet(int64(i), payload(i, 60), 60)
	}
	b := w.bytes()[:w.offs[2]+16+10]
	src, err := openBytes("case.pcap", b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(src)
	const want = "read case.pcap: packet 3 at offset 176: truncated record (header says 60 bytes, 10 present)"
	if len(got) != 2 || err == nil || err.Error() != want {
		t.Fatalf("got %d frames and error %v\nwant 2 frames and         %s", len(got), err, want)
	}
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("error does not wrap ErrTruncated")
	}
}

// TestTruncateEverywhere cuts small files at every byte offset: reading
// must return exactly the complete frames before the cut, then io.EOF if
// the cut falls between records or blocks, or else an error naming the
// next packet and, for a packet record, the offset where it starts.
func TestTruncateEverywhere(t *testing.T) {
	pw := newPcap(binary.BigEndian, true, 1, 65535)
	nw := newNg(binary.LittleEndian)
	nw.idb(1, 0, 9, 0)
	nw.idb(101, 0, 0, 0)
	var pktEnds []int64 // where each pcapng packet block ends
	for i := range 4 {
		pw.packet(int64(i), payload(i, 10*i+1), 10*i+1)
		nw.epb(uint32(i%2), uint64(i), payload(i, 10*i+1), 10*i+1)
		pktEnds = append(pktEnds, int64(nw.buf.Len()))
	}
	nw.block(blockISB, make([]byte, 12)) // a trailing block with no packet
	nw.shb()                             // and an empty section
	cases := []struct {
		name    string
		b       []byte
		offs    []int64 // start of each packet record
		pktEnds []int64 // end of each packet record
		clean   []int64 // cuts that leave a valid file
		headerN int     // bytes Open needs
	}{
		{"pcap", pw.bytes(), pw.offs, pw.ends[1:], pw.ends, pcapFileHeader},
		{"pcapng", nw.bytes(), nw.offs, pktEnds, nw.ends, int(nw.ends[0])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			all, err := openBytes(c.name, c.b)
			if err != nil {
				t.Fatal(err)
			}
			full, err := readAll(all)
			if err != nil || len(full) != len(c.offs) {
				t.Fatalf("reading the whole file: %d frames, %v", len(full), err)
			}
			for cut := 0; cut <= len(c.b); cut++ {
				src, err := openSmall(c.name, c.b[:cut])
				if cut < c.headerN {
					if err == nil {
						t.Fatalf("cut %d: Open succeeded on a truncated header", cut)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				got, err := readAll(src)
				want := 0
				for want < len(c.pktEnds) && c.pktEnds[want] <= int64(cut) {
					want++
				}
				if len(got) != want {
					t.Fatalf("cut %d: got %d frames, want %d (error %v)", cut, len(got), want, err)
				}
				compareFrames(t, got, full[:want])
				var re *ReadError
				switch {
				case err == nil:
					if !slices.Contains(c.clean, int64(cut)) {
						t.Fatalf("cut %d: clean end after %d frames; want an error", cut, len(got))
					}
				case slices.Contains(c.clean, int64(cut)):
					t.Fatalf("cut %d: error %v at a clean cut", cut, err)
				case !errors.As(err, &re):
					t.Fatalf("cut %d: error %v is not a *ReadError", cut, err)
				case !errors.Is(err, ErrTruncated):
					t.Fatalf("cut %d: error %v does not wrap ErrTruncated", cut, err)
				case int(re.Packet) != want+1:
					t.Fatalf("cut %d: error %v names packet %d after %d frames", cut, err, re.Packet, want)
				case re.Block == "" && !strings.Contains(err.Error(), "block header") &&
					(want == len(c.offs) || re.Offset != c.offs[want]):
					t.Fatalf("cut %d: error %v names offset %d; want the start of packet %d", cut, err, re.Offset, want+1)
				case re.Offset > int64(cut) || !slices.Contains(c.clean, re.Offset):
					t.Fatalf("cut %d: error %v names offset %d, which starts no block", cut, err, re.Offset)
				}
			}
		})
	}
}

// TestTruncatedCompressed cuts compressed files everywhere: the error must
// come after the complete frames, and never be a panic or a clean end
// before the last frame.
func TestTruncatedCompressed(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, 1, 65535)
	for i := range 5 {
		w.packet(int64(i)*1000, payload(i, 100), 100)
	}
	for _, c := range compressions[1:] {
		t.Run(c.name, func(t *testing.T) {
			b := c.fn(t, w.bytes())
			for cut := range len(b) {
				src, err := openSmall("x", b[:cut])
				if err != nil {
					continue
				}
				got, err := readAll(src)
				if err == nil {
					t.Fatalf("cut %d of %d: clean end after %d frames", cut, len(b), len(got))
				}
				var re *ReadError
				if !errors.As(err, &re) || int(re.Packet) != len(got)+1 {
					t.Fatalf("cut %d: error %v after %d frames", cut, err, len(got))
				}
			}
		})
	}
}

func TestClose(t *testing.T) {
	path := writeFile(t, "c.pcap", newPcap(binary.LittleEndian, false, 1, 0).bytes())
	src, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := src.Next(new(sources.Frame)); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Next after Close = %v, want os.ErrClosed", err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open("/nonexistent/x.pcap")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "/nonexistent/x.pcap") {
		t.Fatalf("Open of a missing file: %v", err)
	}
}

// TestDataCapacity checks that appending to a frame cannot overwrite the
// next record in the buffer.
func TestDataCapacity(t *testing.T) {
	w := newPcap(binary.LittleEndian, false, 1, 0)
	w.packet(1, []byte("one"), 3)
	w.packet(2, []byte("two"), 3)
	src, _ := openBytes("cap.pcap", w.bytes())
	var f sources.Frame
	if err := src.Next(&f); err != nil {
		t.Fatal(err)
	}
	if cap(f.Data) != len(f.Data) {
		t.Fatalf("cap(Data) = %d, len %d", cap(f.Data), len(f.Data))
	}
}

// TestProgress checks that Progress counts compressed bytes as reading
// goes, up to the file size.
func TestProgress(t *testing.T) {
	b := zstded(t, benchPcap(20000)) // several MiB uncompressed
	src, err := Open(writeFile(t, "p.pcap.zst", b))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p := src.(sources.Progresser)
	var f sources.Frame
	last := int64(-1)
	for {
		err := src.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		done, total := p.Progress()
		if done < last || done > total || total != int64(len(b)) {
			t.Fatalf("Progress() = %d, %d after %d; file is %d bytes", done, total, last, len(b))
		}
		last = done
	}
	if done, _ := p.Progress(); done != int64(len(b)) {
		t.Fatalf("Progress at the end = %d, want %d", done, len(b))
	}
}
