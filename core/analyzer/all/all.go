// Package all links every built-in protocol analyzer into the binary: the
// feature set is this import list (one blank import per protocol).
package all

import (
	_ "github.com/weirnet/weir/core/analyzer/dcerpc"
	_ "github.com/weirnet/weir/core/analyzer/dhcp"
	_ "github.com/weirnet/weir/core/analyzer/dns"
	_ "github.com/weirnet/weir/core/analyzer/ftp"
	_ "github.com/weirnet/weir/core/analyzer/http"
	_ "github.com/weirnet/weir/core/analyzer/imap"
	_ "github.com/weirnet/weir/core/analyzer/irc"
	_ "github.com/weirnet/weir/core/analyzer/krb"
	_ "github.com/weirnet/weir/core/analyzer/modbus"
	_ "github.com/weirnet/weir/core/analyzer/mysql"
	_ "github.com/weirnet/weir/core/analyzer/ntp"
	_ "github.com/weirnet/weir/core/analyzer/pop3"
	_ "github.com/weirnet/weir/core/analyzer/radius"
	_ "github.com/weirnet/weir/core/analyzer/rdp"
	_ "github.com/weirnet/weir/core/analyzer/sip"
	_ "github.com/weirnet/weir/core/analyzer/smtp"
	_ "github.com/weirnet/weir/core/analyzer/snmp"
	_ "github.com/weirnet/weir/core/analyzer/ssh"
	_ "github.com/weirnet/weir/core/analyzer/syslog"
	_ "github.com/weirnet/weir/core/analyzer/tls"
	_ "github.com/weirnet/weir/core/analyzer/xmpp"
)
