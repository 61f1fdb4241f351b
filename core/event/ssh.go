package event

// SSH is one SSH session's handshake summary: Zeek's ssh.log record. Owned by core/analyzer/ssh.
type SSH struct{}
