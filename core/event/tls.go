package event

// TLS is one TLS or DTLS handshake summary: Zeek's ssl.log record. Owned by core/analyzer/tls.
type TLS struct{}
