// Package decode turns captured frames into the fields weir's connection
// tracking needs, without allocating: link layers, IPv4/IPv6 (with fragment
// reassembly), TCP, UDP, ICMP and ICMPv6, and tunnels.
//
// A worker owns one Decoder and calls Decode once per frame, in network-time
// order, with a Packet whose TS, Link, Data, WireLen and Iface it has set.
// Decode resets every other field and fills them in. Its outcome is
// Packet.Status: OK (an IP packet, its transport decoded), NotIP (ARP, LLDP,
// an unknown EtherType: nothing for weir), Fragment (stored for reassembly)
// or Weird (malformed, dropped; Packet.Weird is Zeek's name for the
// anomaly). Anomalies Zeek reports while it keeps going are in
// Packet.ExtraWeird whatever the Status. None of this is an error: malformed
// traffic is data, reported as weirds and counted in Stats.
//
// A packet that carries an encapsulated frame (IP-in-IP, GRE, VXLAN,
// Geneve, Teredo, AYIYA, GTPv1-U, GRE-in-UDP) says so in Packet.Tunnel;
// DecodeInner decodes that frame into another Packet, whose Encap is the
// chain of tunnels it came out of, as Zeek analyzes tunneled traffic as
// connections of their own.
//
// Ownership: Decode neither keeps nor modifies p.Data. Every slice it sets
// (IP, L4, Payload) points into p.Data or, for a reassembled datagram, into a
// buffer of the Decoder; either way it is valid only until the next Decode
// on the same Decoder. Copy what must outlive that.
//
// The checks follow Zeek's packet analyzers closely, so that weird.log and
// conn.log read the same for the same traffic; README.md lists the weird
// names, the few places weir departs from Zeek and why.
package decode
