package ccache

import "time"

// KeyBlock is a session key. EType is the RFC 3961 encryption type number.
type KeyBlock struct {
	EType int32
	Value []byte
}

// Address is a host address a ticket is restricted to.
type Address struct {
	Type uint16
	Data []byte
}

// AuthData is one authorization-data element stored next to a ticket.
type AuthData struct {
	Type uint16
	Data []byte
}

// Credential is one cache entry: a ticket, its session key and its metadata,
// or a configuration entry (see IsConfig).
//
// Zero times are stored as 0 on disk and a 0 on disk parses as the zero
// time.Time, so entries that leave a time unset round-trip byte for byte.
// Empty byte fields and lists parse as nil.
type Credential struct {
	Client, Server Principal
	Key            KeyBlock

	AuthTime, StartTime, EndTime, RenewTill time.Time

	IsSKey bool
	Flags  uint32

	Addresses    []Address
	AuthData     []AuthData
	Ticket       []byte
	SecondTicket []byte
}

// Ticket flags as MIT stores them in ticket_flags: bit 0 of the RFC 4120
// TicketFlags bit string is the most significant bit.
const (
	FlagForwardable          uint32 = 0x40000000
	FlagForwarded            uint32 = 0x20000000
	FlagProxiable            uint32 = 0x10000000
	FlagProxy                uint32 = 0x08000000
	FlagMayPostdate          uint32 = 0x04000000
	FlagPostdated            uint32 = 0x02000000
	FlagInvalid              uint32 = 0x01000000
	FlagRenewable            uint32 = 0x00800000
	FlagInitial              uint32 = 0x00400000
	FlagPreAuth              uint32 = 0x00200000
	FlagHWAuth               uint32 = 0x00100000
	FlagTransitPolicyChecked uint32 = 0x00080000
	FlagOKAsDelegate         uint32 = 0x00040000
	FlagEncPARep             uint32 = 0x00010000
	FlagAnonymous            uint32 = 0x00008000
)

// HasFlags reports whether all bits of want are set.
func (c Credential) HasFlags(want uint32) bool { return c.Flags&want == want }

// Configuration entries are credentials whose server principal is
// krb5_ccache_conf_data/<key>[/<principal>]@X-CACHECONF: and whose ticket
// field holds the value.
const (
	ConfigRealm     = "X-CACHECONF:"
	ConfigComponent = "krb5_ccache_conf_data"
)

// IsConfig reports whether c is a configuration entry (fast_avail, pa_type,
// refresh_time, ...) rather than a ticket. Such entries have zero times and
// must be carried along, never shown or judged as expired tickets.
func (c Credential) IsConfig() bool { return c.Server.Realm == ConfigRealm }

// ConfigKey returns the key of a configuration entry and the unparsed
// principal it is associated with ("" if none).
func (c Credential) ConfigKey() (key, assoc string, ok bool) {
	s := c.Server
	if !c.IsConfig() || len(s.Components) < 2 || len(s.Components) > 3 || s.Components[0] != ConfigComponent {
		return "", "", false
	}
	if len(s.Components) == 3 {
		assoc = s.Components[2]
	}
	return s.Components[1], assoc, true
}

// NewConfig builds a configuration entry the way MIT's krb5_cc_set_config
// does: every field but client, server and ticket is zero. assoc may be nil
// for keys not tied to a principal.
func NewConfig(client Principal, key string, assoc *Principal, value []byte) Credential {
	comps := []string{ConfigComponent, key}
	if assoc != nil {
		comps = append(comps, assoc.String())
	}
	return Credential{
		Client: client,
		Server: Principal{NameType: NameTypePrincipal, Realm: ConfigRealm, Components: comps},
		Ticket: value,
	}
}
