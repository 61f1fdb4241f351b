package dhcp

const (
	bootpLen     = 236 // fixed BOOTP header, up to the options
	cookieLen    = 4
	optPad       = 0
	optEnd       = 255
	optMsgType   = 53
	maxMsgType   = 18 // RFC 2132, RFC 4388, RFC 6926, RFC 7724
	opRequest    = 1
	opReply      = 2
	maxHWAddrLen = 16
)

var cookie = [cookieLen]byte{99, 130, 83, 99}

// check returns why b is not a well-formed DHCP message, or "".
func check(b []byte) string {
	if len(b) < bootpLen+cookieLen {
		return "shorter than a BOOTP header and cookie"
	}
	if op := b[0]; op != opRequest && op != opReply {
		return "BOOTP op is neither request nor reply"
	}
	if b[2] > maxHWAddrLen {
		return "hardware address longer than 16 bytes"
	}
	if [cookieLen]byte(b[bootpLen:bootpLen+cookieLen]) != cookie {
		return "no DHCP magic cookie"
	}
	opts := b[bootpLen+cookieLen:]
	for len(opts) > 0 {
		code := opts[0]
		if code == optEnd {
			return ""
		}
		if code == optPad {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || 2+int(opts[1]) > len(opts) {
			return "option beyond the datagram"
		}
		n := int(opts[1])
		if code == optMsgType && (n != 1 || opts[2] < 1 || opts[2] > maxMsgType) {
			return "bad DHCP message type"
		}
		opts = opts[2+n:]
	}
	return "" // options ran to the end without an end option: tolerated
}
