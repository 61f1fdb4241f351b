// Package tls is weir's SSL/TLS/DTLS analyzer: it turns the handshake of a
// TLS connection (TCP) or DTLS flow (UDP) into one event.KindTLSHandshake,
// the record of Zeek's ssl.log plus JA3, JA3S and JA4 fingerprints.
//
// The analyzer follows Zeek's SSL and DTLS analyzers and its base scripts
// (base/protocols/ssl, base/files/x509): the same checks of record headers
// and hello versions (and so the same protocol violations), the same
// ssl_history letters, the same rules for version (supported_versions in
// TLS 1.3, draft versions named TLSv13-draftNN), cipher, curve (server key
// exchange or key_share), server_name (the client's first SNI name; with
// ECH the outer one), resumption (session id, session ticket, PSK),
// last_alert, next_protocol (the server's ALPN), establishment (both sides
// sending encrypted records), certificate fingerprints and names, and the
// same moment of logging: when the session is established, or at a
// violation, a content gap or the end of the connection.
//
// Records are reassembled across TCP segments and handshake messages
// across records; DTLS handshake fragments are reassembled, DTLS 1.2
// connection ids and DTLS 1.3 unified headers are understood. Memory per
// session is bounded: one partial record per side (at most 64 KiB, the
// largest record) and one partial handshake message per side (at most
// Config.MaxHandshakeMessage, beyond which the session ends with a
// violation). Once the session is established the analyzer asks the
// tracker to skip both directions, so encrypted bulk data costs nothing.
//
// See README.md for the fields, the fingerprints and where weir differs
// from Zeek.
package tls
