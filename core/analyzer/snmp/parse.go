package snmp

import "github.com/weirnet/weir/core/analyzer/internal/ber"

// BER tags.
const (
	tagInteger   = 0x02
	tagOctets    = 0x04
	tagOID       = 0x06
	tagSequence  = 0x30
	tagIPAddress = 0x40
	tagTimeTicks = 0x43
	pduTrapV1    = 0xa4
)

// check returns why b is not one SNMP message, or "".
func check(b []byte) string {
	tag, msg, rest, ok := ber.Next(b)
	if !ok || tag != tagSequence || len(rest) != 0 {
		return "not one SEQUENCE filling the datagram"
	}
	version, msg, ok := ber.Int(msg)
	if !ok {
		return "no version"
	}
	switch version {
	case 0, 1:
		return checkCommunity(msg, version)
	case 3:
		return checkV3(msg)
	}
	return "unknown version"
}

// checkCommunity checks a v1 or v2c message after its version.
func checkCommunity(b []byte, version int64) string {
	tag, _, b, ok := ber.Next(b)
	if !ok || tag != tagOctets {
		return "no community"
	}
	tag, pdu, rest, ok := ber.Next(b)
	if !ok || len(rest) != 0 || tag < 0xa0 || tag > 0xa8 {
		return "no PDU"
	}
	if tag == pduTrapV1 {
		if version != 0 {
			return "v1 trap in a v2c message"
		}
		return checkTrapV1(pdu)
	}
	if _, pdu, ok = ber.Int(pdu); !ok {
		return "no request-id"
	}
	status, pdu, ok := ber.Int(pdu)
	// GetBulk reuses the fields as non-repeaters and max-repetitions.
	if !ok || (tag != 0xa5 && (status < 0 || status > 18)) {
		return "bad error-status"
	}
	if _, pdu, ok = ber.Int(pdu); !ok {
		return "no error-index"
	}
	if tag, _, rest, ok = ber.Next(pdu); !ok || tag != tagSequence || len(rest) != 0 {
		return "no varbind list"
	}
	return ""
}

func checkTrapV1(b []byte) string {
	tag, _, b, ok := ber.Next(b)
	if !ok || tag != tagOID {
		return "no enterprise"
	}
	tag, addr, b, ok := ber.Next(b)
	if !ok || tag != tagIPAddress || len(addr) != 4 {
		return "no agent address"
	}
	generic, b, ok := ber.Int(b)
	if !ok || generic < 0 || generic > 6 {
		return "bad generic-trap"
	}
	if _, b, ok = ber.Int(b); !ok {
		return "no specific-trap"
	}
	if tag, _, b, ok = ber.Next(b); !ok || tag != tagTimeTicks {
		return "no time stamp"
	}
	if tag, _, rest, ok := ber.Next(b); !ok || tag != tagSequence || len(rest) != 0 {
		return "no varbind list"
	}
	return ""
}

// checkV3 checks an SNMPv3 message after its version.
func checkV3(b []byte) string {
	tag, hdr, b, ok := ber.Next(b)
	if !ok || tag != tagSequence {
		return "no header data"
	}
	var id, size int64
	if id, hdr, ok = ber.Int(hdr); !ok || id < 0 {
		return "bad msgID"
	}
	if size, hdr, ok = ber.Int(hdr); !ok || size < 484 {
		return "bad msgMaxSize"
	}
	tag, flags, hdr, ok := ber.Next(hdr)
	if !ok || tag != tagOctets || len(flags) != 1 {
		return "bad msgFlags"
	}
	model, hdr, ok := ber.Int(hdr)
	if !ok || model < 1 || len(hdr) != 0 {
		return "bad msgSecurityModel"
	}
	if tag, _, b, ok = ber.Next(b); !ok || tag != tagOctets {
		return "no security parameters"
	}
	tag, _, rest, ok := ber.Next(b)
	if !ok || (tag != tagSequence && tag != tagOctets) || len(rest) != 0 {
		return "no scoped PDU"
	}
	return ""
}
