package event

// DNS is one DNS transaction as Zeek's dns.log records it: a query and the
// reply paired with it by transaction id on the same connection, or either
// one alone when its counterpart was never seen (the record is then
// published when the connection ends). Messages to multicast addresses
// (mDNS, LLMNR) are not paired: each one is its own record. Owned by
// core/analyzer/dns.
//
// Optional fields come with a Has flag (or are nil), because Zeek
// distinguishes an unset field ("-") from a zero value. All strings are raw
// bytes from the wire (domain names are lower-cased, as Zeek does); the log
// writer escapes them.
type DNS struct {
	// TS is the network time (ns) of the first message of the transaction.
	TS    int64
	UID   string
	ID    ConnID
	Proto Transport

	// TransID is the 16-bit DNS message id.
	TransID uint16

	// RTT is the time (ns) from the first message of the transaction to
	// the first answer record of its reply. Unset for a reply seen alone
	// and for a reply without answer records.
	RTT    int64
	HasRTT bool

	// Query is the queried name (from the question of the query; for a
	// reply seen alone, the owner name of its first answer record).
	Query    string
	HasQuery bool

	// QClass, QType and their names come from the question of the query
	// message; HasQType says they are set (the query was seen). Names are
	// Zeek's: C_INTERNET, A, AAAA, "*" for ANY, NBSTAT for type 33 on
	// NetBIOS, "query-N" / "qclass-N" for unknown values.
	QClass     uint16
	QClassName string
	QType      uint16
	QTypeName  string
	HasQType   bool

	// RCode and RCodeName (NOERROR, NXDOMAIN, ...) come from the reply;
	// HasRCode says a reply was seen.
	RCode     uint16
	RCodeName string
	HasRCode  bool

	// Header flags: AA and RA from the reply (only when it carried answer
	// records), TC, RD and Z (the three reserved bits, AD and CD included)
	// from the query.
	AA, TC, RD, RA bool
	Z              uint8

	// Answers holds one text per answer record of the reply, formatted as
	// Zeek's base scripts format them (an address, a name, "TXT 5 hello",
	// "RRSIG 1 example.com", ...); TTLs holds each record's TTL in ns.
	// Both are nil when no answer produced text (Zeek's unset).
	Answers []string
	TTLs    []int64

	// Rejected is set when the reply carried no records at all for a
	// question, or an error rcode without any question.
	Rejected bool

	// Opcode and its name ("query", "dynamic-update", "netbios-query", ...)
	// of the last message of the transaction.
	Opcode     uint8
	OpcodeName string
}
