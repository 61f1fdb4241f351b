package flow

import (
	"fmt"
	"net/netip"
)

// Nets is a set of prefixes with membership tests on 16-byte addresses.
// It is small (tens of prefixes) and read-only after construction, so a
// linear scan over masks beats a trie here.
type Nets struct {
	v4 []netip.Prefix
	v6 []netip.Prefix
}

// ParseNets parses CIDR strings ("10.0.0.0/8", "fd00::/8").
func ParseNets(cidrs []string) (*Nets, error) {
	n := &Nets{}
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("local network %q: %w", c, err)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			n.v4 = append(n.v4, p)
		} else {
			n.v6 = append(n.v6, p)
		}
	}
	return n, nil
}

// Contains reports whether the address (IPv4-mapped for IPv4) is in the set.
func (n *Nets) Contains(a [16]byte) bool {
	if n == nil {
		return false
	}
	addr := Addr(a)
	ps := n.v6
	if addr.Is4() {
		ps = n.v4
	}
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Len is the number of prefixes.
func (n *Nets) Len() int {
	if n == nil {
		return 0
	}
	return len(n.v4) + len(n.v6)
}

// ZeekPrivateAddressSpace is Zeek's Site::private_address_space: the IANA
// special-purpose blocks that are not routed on the Internet (and their 6to4
// equivalents). Zeek treats these as local when Site::local_nets is empty
// (Site::private_address_space_is_local), and so do we by default.
var ZeekPrivateAddressSpace = []string{
	"0.0.0.0/8", "2002::/24",
	"10.0.0.0/8", "2002:a00::/24",
	"100.64.0.0/10", "2002:6440::/26",
	"127.0.0.0/8", "2002:7f00::/24",
	"169.254.0.0/16", "2002:a9fe::/32",
	"172.16.0.0/12", "2002:ac10::/28",
	"192.0.0.0/24", "2002:c000::/40",
	"192.0.2.0/24", "2002:c000:200::/40",
	"192.168.0.0/16", "2002:c0a8::/32",
	"198.18.0.0/15", "2002:c612::/31",
	"198.51.100.0/24", "2002:c633:6400::/40",
	"203.0.113.0/24", "2002:cb00:7100::/40",
	"224.0.0.0/24", "2002:e000::/40",
	"239.0.0.0/8", "2002:ef00::/24",
	"240.0.0.0/4", "2002:f000::/20",
	"255.255.255.255/32", "2002:ffff:ffff::/48",
	"::/128", "::1/128", "64:ff9b:1::/48", "100::/64",
	"2001::/23", "2001:2::/48", "2001:db8::/32",
	"fc00::/7", "fe80::/10", "fec0::/10",
}
