package flow

// ICMPPorts returns the pseudo ports Zeek assigns an ICMP message: the type
// as source port and, as destination port, the counterpart type of a
// request/reply pair, or the code for one-way messages.
func ICMPPorts(v6 bool, typ, code uint8) (sp, dp uint16, oneWay bool) {
	var ct int
	if v6 {
		ct = icmp6Counterpart(typ)
	} else {
		ct = icmp4Counterpart(typ)
	}
	if ct < 0 {
		return uint16(typ), uint16(code), true
	}
	return uint16(typ), uint16(ct), false
}

func icmp4Counterpart(t uint8) int {
	switch t {
	case 8:
		return 0 // echo
	case 0:
		return 8
	case 13:
		return 14 // timestamp
	case 14:
		return 13
	case 15:
		return 16 // information
	case 16:
		return 15
	case 10:
		return 9 // router solicitation / advertisement
	case 9:
		return 10
	case 17:
		return 18 // address mask
	case 18:
		return 17
	}
	return -1
}

func icmp6Counterpart(t uint8) int {
	switch t {
	case 128:
		return 129 // echo
	case 129:
		return 128
	case 133:
		return 134 // router solicitation / advertisement
	case 134:
		return 133
	case 135:
		return 136 // neighbor solicitation / advertisement
	case 136:
		return 135
	case 130:
		return 131 // MLD query / report
	case 131:
		return 130
	case 139:
		return 140 // node information query / response
	case 140:
		return 139
	case 144:
		return 145 // home agent address discovery
	case 145:
		return 144
	}
	return -1
}
