package engine

import "github.com/weirnet/weir/core/flow"

// tunnelTable gives each tunnel a deterministic uid: the uid generator
// applied to the tunnel's key (the outer address pair for IP and GRE
// tunnels, the outer UDP flow for UDP-based ones) and the time the tunnel
// was first seen. For a UDP tunnel whose connection began with a tunnel
// packet this equals the outer connection's own uid, as in Zeek. It runs
// in the dispatcher, so the uids do not depend on the number of workers.
//
// Memory is bounded: entries idle longer than the timeout are dropped on
// the way, and past maxTunnels the table is cleared (a tunnel seen again
// then gets a new uid, the way Zeek would after its tunnel timeout).
type tunnelTable struct {
	uids *flow.UIDGen
	m    map[flow.Key]tunnelEntry
}

type tunnelEntry struct {
	first, last int64
	uid         string
}

const (
	maxTunnels    = 1 << 16
	tunnelTimeout = int64(24 * 3600 * 1e9) // Zeek's Tunnel::ip_tunnel_timeout
)

func newTunnelTable(seed uint64) *tunnelTable {
	return &tunnelTable{uids: flow.NewUIDGen(seed), m: make(map[flow.Key]tunnelEntry)}
}

func (t *tunnelTable) uid(k flow.Key, ts int64) string {
	e, ok := t.m[k]
	if ok && ts-e.last <= tunnelTimeout {
		if ts > e.last {
			e.last = ts
			t.m[k] = e
		}
		return e.uid
	}
	if len(t.m) >= maxTunnels {
		clear(t.m)
	}
	e = tunnelEntry{first: ts, last: ts, uid: t.uids.UID(&k, ts, 0)}
	t.m[k] = e
	return e.uid
}
