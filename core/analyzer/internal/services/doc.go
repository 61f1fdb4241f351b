// Package services holds the end-to-end tests of the service-identifying
// analyzers (pop3, imap, smtp, ftp, irc, xmpp, ntp, dhcp, modbus, dce_rpc,
// krb, krb_tcp, snmp, rdp, mysql, sip, radius, syslog): conversations run
// through the real connection tracker with all of them configured at once,
// and the tests check conn.log's service as the core computes it: port
// hints, content detection, confirmation order, violations removing a
// wrong guess, STARTTLS hand-offs.
package services
