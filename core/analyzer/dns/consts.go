package dns

import "strconv"

// RR types the parser treats specially.
const (
	typeA          = 1
	typeNS         = 2
	typeCNAME      = 5
	typeSOA        = 6
	typeWKS        = 11
	typePTR        = 12
	typeHINFO      = 13
	typeMX         = 15
	typeTXT        = 16
	typeAAAA       = 28
	typeLOC        = 29
	typeNBS        = 32 // NetBIOS NB (RFC 1002), IANA's NIMLOC
	typeSRV        = 33 // also NetBIOS NBSTAT on port 137
	typeNAPTR      = 35
	typeA6         = 38
	typeOPT        = 41
	typeDS         = 43
	typeSSHFP      = 44
	typeRRSIG      = 46
	typeNSEC       = 47
	typeDNSKEY     = 48
	typeNSEC3      = 50
	typeNSEC3PARAM = 51
	typeSVCB       = 64
	typeHTTPS      = 65
	typeSPF        = 99
	typeTKEY       = 249
	typeTSIG       = 250
	typeANY        = 255
	typeCAA        = 257
	typeBINDS      = 65534 // BIND 9's private signing-state record
)

// Classes used by dynamic update (RFC 2136).
const (
	classNONE = 254
	classANY  = 255
)

// Opcodes.
const (
	opQuery  = 0
	opNotify = 4
	opUpdate = 5
)

// qtypeNames is Zeek's DNS::query_types.
var qtypeNames = map[uint16]string{
	1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
	11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
	19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX",
	27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA",
	35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL",
	43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
	50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 56: "NINFO", 57: "RKEY",
	58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB",
	65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC", 104: "NID",
	105: "L32", 106: "L64", 107: "LP", 108: "EUI48", 109: "EUI64", 249: "TKEY", 250: "TSIG",
	251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "*", 256: "URI", 257: "CAA",
	32768: "TA", 32769: "DLV", 65281: "WINS", 65282: "WINS-R", 65422: "XPF", 65521: "INTEGRITY",
}

// classNames is Zeek's DNS::classes.
var classNames = map[uint16]string{
	1: "C_INTERNET", 2: "C_CSNET", 3: "C_CHAOS", 4: "C_HESIOD", 254: "C_NONE", 255: "C_ANY",
}

// rcodeNames is Zeek's DNS::base_errors for the 4-bit header rcode: every
// value has a name.
var rcodeNames = [16]string{
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSet", "NOTAUTH", "NOTZONE", "unassigned-11", "unassigned-12", "unassigned-13",
	"unassigned-14", "unassigned-15",
}

// opcodeNames is Zeek's DNS::opcodes; netbiosOpcodeNames DNS::netbios_opcodes.
var (
	opcodeNames        = map[uint8]string{0: "query", 1: "iquery", 2: "server-status", 4: "notify", 5: "dynamic-update", 6: "dso"}
	netbiosOpcodeNames = map[uint8]string{0: "netbios-query", 5: "netbios-registration", 6: "netbios-release", 7: "netbios-wack", 8: "netbios-refresh"}
)

// Lookup tables built from the maps at init: names of the common values
// are plain array loads, and the fallback names ("query-N") of the small
// values are built once rather than per message.
var (
	qtypeTable    [512]string
	classTable    [256]string
	opcodeTable   [16]string
	nbOpcodeTable [16]string
)

func init() {
	for i := range qtypeTable {
		qtypeTable[i] = lookupName(qtypeNames, uint16(i), "query-")
	}
	for i := range classTable {
		classTable[i] = lookupName(classNames, uint16(i), "qclass-")
	}
	for i := range opcodeTable {
		opcodeTable[i] = lookupName(opcodeNames, uint8(i), "opcode-")
		nbOpcodeTable[i] = lookupName(netbiosOpcodeNames, uint8(i), "netbios-opcode-")
	}
}

func lookupName[K uint8 | uint16](m map[K]string, k K, prefix string) string {
	if n, ok := m[k]; ok {
		return n
	}
	return prefix + strconv.Itoa(int(k))
}

// qtypeName returns Zeek's name for an RR type ("query-N" when unknown).
func qtypeName(t uint16) string {
	if int(t) < len(qtypeTable) {
		return qtypeTable[t]
	}
	return lookupName(qtypeNames, t, "query-")
}

// className returns Zeek's name for a class ("qclass-N" when unknown).
func className(c uint16) string {
	if int(c) < len(classTable) {
		return classTable[c]
	}
	return lookupName(classNames, c, "qclass-")
}

// opcodeName returns Zeek's name for an opcode; NetBIOS name service has
// its own table.
func opcodeName(op uint8, netbios bool) string {
	if netbios {
		return nbOpcodeTable[op&15]
	}
	return opcodeTable[op&15]
}
