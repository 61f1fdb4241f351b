package flow

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
)

// CommunityID computes the Community ID v1 flow hash
// (https://github.com/corelight/community-id-spec) for a connection given in
// originator/responder order. For ICMP and ICMPv6, sp and dp are the type and
// the counterpart type or code, as Zeek's conn_id holds them, and oneWay says
// the message type has no counterpart (the endpoints are then not reordered).
func CommunityID(seed uint16, orig, resp [16]byte, sp, dp uint16, proto uint8, oneWay bool) string {
	v4 := IsV4(orig) && IsV4(resp)
	src, dst := orig[:], resp[:]
	if v4 {
		src, dst = orig[12:], resp[12:]
	}
	// Transports with ports: TCP, UDP, SCTP, ICMP, ICMPv6. Others hash
	// addresses and protocol only.
	hasPorts := proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58
	swap := false
	if !oneWay {
		c := compareBytes(src, dst)
		swap = c > 0 || (c == 0 && hasPorts && sp > dp)
	}
	if swap {
		src, dst = dst, src
		sp, dp = dp, sp
	}
	var buf [2 + 16 + 16 + 2 + 4]byte
	binary.BigEndian.PutUint16(buf[0:], seed)
	n := 2
	n += copy(buf[n:], src)
	n += copy(buf[n:], dst)
	buf[n] = proto
	buf[n+1] = 0
	n += 2
	if hasPorts {
		binary.BigEndian.PutUint16(buf[n:], sp)
		binary.BigEndian.PutUint16(buf[n+2:], dp)
		n += 4
	}
	sum := sha1.Sum(buf[:n])
	return "1:" + base64.StdEncoding.EncodeToString(sum[:])
}

func compareBytes(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
