//go:build linux

package afpacket

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources"
)

// These tests lay out ring blocks as the kernel does (linux/if_packet.h)
// and run the parser on them: no socket, no root needed.

type ringFrame struct {
	data    []byte
	wirelen int
	sec     uint32
	nsec    uint32
	vlan    uint16 // TCI; 0 for none
	tpid    uint16 // 0: not given (0x8100 assumed)
	pkttype byte
}

const testBlockSize = 4096

// buildBlock lays out frames in one block, each at the offset the kernel
// would use for a SOCK_RAW socket with PACKET_RESERVE 4 on Ethernet.
func buildBlock(frames []ringFrame) []byte {
	b := make([]byte, testBlockSize)
	le := binary.LittleEndian // the layout is in host order; tests run on little-endian machines
	le.PutUint32(b[0:], 3)    // TPACKET_V3
	le.PutUint32(b[blockStatusOff:], unix.TP_STATUS_USER)
	le.PutUint32(b[blockNumPktsOff:], uint32(len(frames)))
	le.PutUint32(b[blockFirstOff:], 48)
	off := 48
	for i, fr := range frames {
		const mac = 86 // TPACKET_ALIGN(68 + 16) + 4 - 14
		h := b[off:]
		le.PutUint32(h[4:], fr.sec)
		le.PutUint32(h[8:], fr.nsec)
		le.PutUint32(h[12:], uint32(len(fr.data)))
		le.PutUint32(h[16:], uint32(fr.wirelen))
		status := uint32(unix.TP_STATUS_USER)
		if fr.vlan != 0 {
			status |= unix.TP_STATUS_VLAN_VALID
			le.PutUint32(h[32:], uint32(fr.vlan))
			if fr.tpid != 0 {
				status |= unix.TP_STATUS_VLAN_TPID_VALID
				le.PutUint16(h[36:], fr.tpid)
			}
		}
		le.PutUint32(h[20:], status)
		le.PutUint16(h[24:], mac)
		le.PutUint16(h[26:], mac+14)
		h[sllPkttypeOff] = fr.pkttype
		copy(h[mac:], fr.data)
		next := (mac + len(fr.data) + 15) &^ 15
		if i < len(frames)-1 {
			le.PutUint32(h[0:], uint32(next))
		}
		off += next
	}
	le.PutUint32(b[20:], uint32(off))
	return b
}

func ringSource(block []byte, lo bool) *Source {
	return &Source{
		link: sources.LinkEthernet, snaplen: 65535, cfg: Config{IfaceID: 3},
		sock: &socket{ring: block, bsize: len(block), nblocks: 1, lo: lo},
	}
}

func ether(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	b[12], b[13] = 0x08, 0x00
	return b
}

func TestRingParse(t *testing.T) {
	plain := ether(60, 1)
	tagged := ether(70, 2)
	block := buildBlock([]ringFrame{
		{data: plain, wirelen: 60, sec: 10, nsec: 5},
		{data: ether(40, 3), wirelen: 40, pkttype: unix.PACKET_OUTGOING, sec: 11},
		{data: tagged, wirelen: 1000, vlan: 0x2007, sec: 12},
		{data: ether(30, 4), wirelen: 30, vlan: 5, tpid: 0x88a8, sec: 13},
	})
	s := ringSource(block, false)
	var f sources.Frame
	var got []sources.Frame
	var data [][]byte
	for s.nextFrame(&f) {
		got = append(got, f)
		data = append(data, bytes.Clone(f.Data))
	}
	if len(got) != 4 {
		t.Fatalf("%d frames, want 4", len(got))
	}
	if got[0].TS != 10e9+5 || !bytes.Equal(data[0], plain) || got[0].WireLen != 60 || got[0].Iface != 3 || got[0].Link != sources.LinkEthernet {
		t.Errorf("plain frame: %+v", got[0])
	}
	if cap(got[0].Data) != len(got[0].Data) {
		t.Error("capacity not clipped")
	}
	// The tag goes back after the MAC addresses; the lengths grow by 4.
	want := append(append(append([]byte{}, tagged[:12]...), 0x81, 0x00, 0x20, 0x07), tagged[12:]...)
	if !bytes.Equal(data[2], want) || got[2].WireLen != 1004 {
		t.Errorf("tagged frame:\n got % x (%d)\nwant % x (1004)", data[2], got[2].WireLen, want)
	}
	if !bytes.Equal(data[3][12:16], []byte{0x88, 0xa8, 0, 5}) {
		t.Errorf("802.1ad tag: % x", data[3][:16])
	}
	// The block went back to the kernel once its last frame was passed.
	if st := binary.LittleEndian.Uint32(block[blockStatusOff:]); st != unix.TP_STATUS_KERNEL {
		t.Errorf("block status %d after reading, want TP_STATUS_KERNEL", st)
	}

	// On loopback, outgoing frames are skipped (each is seen incoming too).
	block = buildBlock([]ringFrame{{data: plain, wirelen: 60}, {data: plain, wirelen: 60, pkttype: unix.PACKET_OUTGOING}})
	s = ringSource(block, true)
	n := 0
	for s.nextFrame(&f) {
		n++
	}
	if n != 1 {
		t.Errorf("loopback: %d frames, want 1", n)
	}

	// A snap length below the tagged frame: tag in, then cut.
	block = buildBlock([]ringFrame{{data: tagged[:20], wirelen: 70, vlan: 9}})
	s = ringSource(block, false)
	s.snaplen = 20
	if !s.nextFrame(&f) || len(f.Data) != 20 || f.WireLen != 74 || !bytes.Equal(f.Data[12:16], []byte{0x81, 0, 0, 9}) {
		t.Errorf("tagged and cut: % x (%d on the wire)", f.Data, f.WireLen)
	}
}

// FuzzRing feeds the parser blocks whose headers say anything: it must
// never read outside the block, nor hand out a frame longer than its wire
// length.
func FuzzRing(f *testing.F) {
	f.Add(buildBlock([]ringFrame{{data: ether(60, 1), wirelen: 60}, {data: ether(70, 2), wirelen: 1000, vlan: 7}}))
	f.Add(buildBlock([]ringFrame{{data: ether(14, 1), wirelen: 14, pkttype: unix.PACKET_OUTGOING}}))
	f.Fuzz(func(t *testing.T, block []byte) {
		if len(block) < 64 {
			return
		}
		block = append(block[:len(block):len(block)], make([]byte, (testBlockSize-len(block)%testBlockSize)%testBlockSize)...)
		block = block[:testBlockSize]
		binary.LittleEndian.PutUint32(block[blockStatusOff:], unix.TP_STATUS_USER)
		for _, lo := range []bool{false, true} {
			b := bytes.Clone(block)
			s := ringSource(b, lo)
			s.snaplen = 100
			var fr sources.Frame
			for i := 0; s.nextFrame(&fr); i++ {
				if len(fr.Data) > fr.WireLen || i > testBlockSize {
					t.Fatalf("frame %d: %d bytes of %d", i, len(fr.Data), fr.WireLen)
				}
			}
		}
	})
}
