package event

// SSH is one SSH session's handshake summary: Zeek's ssh.log record. Owned
// by core/analyzer/ssh, which publishes it as KindSSHHandshake once per
// connection: as soon as authentication is seen to succeed, otherwise when
// the connection ends.
//
// String fields are unset when empty (none of them can be set and empty).
type SSH struct {
	TS  int64 // network time of the first version banner (ns)
	UID string
	ID  ConnID

	// Version is the protocol major version both sides agreed on: 2, 1, or
	// 0 when their banners are incompatible (SSH-1 against SSH-2). Valid
	// only when HasVersion: both banners were seen.
	Version    uint8
	HasVersion bool

	// AuthSuccess is Zeek's packet-size heuristic's verdict (True: a login
	// succeeded; False: attempts were seen, none succeeded; Unset: no
	// determination, e.g. with compression or SSH-1).
	AuthSuccess  Tristate
	AuthAttempts uint64

	// Direction is "INBOUND" (a remote client logged into a local
	// server) or "OUTBOUND", from the analyzer's local networks; empty
	// (unset) when both ends are local or both remote.
	Direction string

	Client string // client's version banner, "SSH-2.0-OpenSSH_9.2p1 ..."
	Server string // server's version banner

	// Negotiated algorithms: the first of the client's KEXINIT list that
	// the server also offers. When the two directions differ, cipher,
	// MAC and compression read "To server: X, to client: Y"; when nothing
	// matches, "Algorithm negotiation failed".
	CipherAlg      string
	MACAlg         string
	CompressionAlg string
	KexAlg         string
	HostKeyAlg     string
	// HostKey is the MD5 fingerprint of the server's host key blob,
	// lower-case hex bytes separated by colons.
	HostKey string
}
