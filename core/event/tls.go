package event

// TLS is one TLS or DTLS session's handshake summary: Zeek's ssl.log record
// plus weir's client and server fingerprints. It is produced by
// core/analyzer/tls once per connection, when the handshake is established
// or, failing that, when the analyzer stops (a protocol violation, a content
// gap or the end of the connection). Strings and slices are owned by the
// event.
//
// Zeek distinguishes an unset field ("-") from an empty one ("(empty)"); so
// does this record: a string field is unset when it is "" unless its Has*
// flag says it is set, and a nil slice is unset while an empty non-nil one
// is an empty vector.
type TLS struct {
	UID string
	ID  ConnID
	// TS is the network time (ns) of the first SSL/TLS message of the
	// connection, Zeek's ts.
	TS int64

	// VersionNum is the version the server chose (from supported_versions
	// in TLS 1.3), 0 when no server hello was seen; Version is its name as
	// Zeek writes it: "TLSv12", "TLSv13", "DTLSv12", "TLSv13-draft23",
	// "unknown-1234". Empty when unset.
	VersionNum uint16
	Version    string
	// Cipher is the suite the server chose, named as Zeek names it
	// ("TLS_AES_128_GCM_SHA256", "unknown-4867"); empty when unset.
	Cipher string
	// Curve is the key exchange group the server chose (from the server
	// key exchange or the TLS 1.3 key_share), named as Zeek names it
	// ("x25519", "secp256r1", "X25519MLKEM768"); empty when unset.
	Curve string
	// ServerName is the first host name of the client's SNI extension
	// (with ECH, the outer SNI).
	ServerName    string
	HasServerName bool
	// Resumed is true when the session resumed an earlier one (session id,
	// session ticket or TLS 1.3 PSK), as Zeek infers it.
	Resumed bool
	// LastAlert is the description of the last alert seen in the clear
	// ("handshake_failure", "unknown-200"); empty when none.
	LastAlert string
	// NextProtocol is the ALPN protocol the server chose.
	NextProtocol    string
	HasNextProtocol bool
	// Established is true when both sides switched to encrypted records.
	Established bool
	// History is Zeek's ssl_history: one letter per handshake message,
	// change cipher spec and alert, upper case for the client.
	History string

	// CertChainFPs and ClientCertChainFPs are the SHA-256 fingerprints (hex)
	// of the certificates the server and the client sent, in order. Both are
	// nil (unset) until either side sends a certificate, then both are
	// non-nil. TLS 1.3 certificates are encrypted and never seen.
	CertChainFPs       []string
	ClientCertChainFPs []string
	// Subject and Issuer are those of the server's first certificate in
	// Zeek's (OpenSSL RFC 2253) string form; ClientSubject and ClientIssuer
	// those of the client's. Set when the flag is.
	Subject, Issuer             string
	HasSubject                  bool
	ClientSubject, ClientIssuer string
	HasClientSubject            bool
	// SNIMatchesCert says whether ServerName matches the server's first
	// certificate (its DNS SANs, or its last CN without SANs); unset
	// without an SNI or a certificate.
	SNIMatchesCert Tristate

	// JA3 is the MD5 of the first client hello's JA3 string, JA3S that of
	// the last server hello's, JA4 FoxIO's JA4 of the first client hello.
	// Empty when the hello was not seen (or was an SSLv2 hello).
	JA3, JA3S, JA4 string
}
