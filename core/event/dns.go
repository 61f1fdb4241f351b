package event

// DNS is one DNS query and its answer(s): Zeek's dns.log record. Owned by core/analyzer/dns.
type DNS struct{}
