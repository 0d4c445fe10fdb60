package ccache

import "time"

// FindTGT returns the default principal's ticket-granting ticket for its own
// realm, krbtgt/REALM@REALM. If several are stored (a cache written by other
// tools may hold a renewed TGT after the original), the one that started
// last wins, and among equal start times the later one in the file, since
// writers append. The pointer aliases c.Credentials.
func (c *Cache) FindTGT() (*Credential, bool) {
	var best *Credential
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		if cr.IsConfig() || !cr.Client.Equal(c.DefaultPrincipal) || !cr.Server.IsTGTFor(cr.Client.Realm) {
			continue
		}
		if best == nil || !cr.effectiveStart().Before(best.effectiveStart()) {
			best = cr
		}
	}
	return best, best != nil
}

// effectiveStart is when a ticket became valid: RFC 4120 leaves starttime
// out when it equals authtime.
func (c *Credential) effectiveStart() time.Time {
	if !c.StartTime.IsZero() {
		return c.StartTime
	}
	return c.AuthTime
}

// PutCredential stores cred in place of the ticket with the same client and
// server (a renewal replaces its predecessor where it stood, and further
// duplicates are dropped), or appends it. Configuration entries are never
// replaced here; use SetConfig.
func (c *Cache) PutCredential(cred Credential) {
	placed := false
	kept := c.Credentials[:0]
	for _, old := range c.Credentials {
		if !old.IsConfig() && old.Client.Equal(cred.Client) && old.Server.Equal(cred.Server) {
			if placed {
				continue
			}
			old, placed = cred, true
		}
		kept = append(kept, old)
	}
	if !placed {
		kept = append(kept, cred)
	}
	c.Credentials = kept
}

// Config returns the value of the configuration entry key associated with
// assoc (nil: not associated with a principal). The first match wins, as in
// MIT's krb5_cc_get_config.
func (c *Cache) Config(key string, assoc *Principal) ([]byte, bool) {
	i := c.configIndex(key, assoc)
	if i < 0 {
		return nil, false
	}
	return c.Credentials[i].Ticket, true
}

// SetConfig stores a configuration entry for the default principal,
// replacing an existing entry with the same key and association in place.
func (c *Cache) SetConfig(key string, assoc *Principal, value []byte) {
	cred := NewConfig(c.DefaultPrincipal, key, assoc, value)
	if i := c.configIndex(key, assoc); i >= 0 {
		c.Credentials[i] = cred
		return
	}
	c.Credentials = append(c.Credentials, cred)
}

func (c *Cache) configIndex(key string, assoc *Principal) int {
	want := ""
	if assoc != nil {
		want = assoc.String()
	}
	for i := range c.Credentials {
		k, a, ok := c.Credentials[i].ConfigKey()
		if ok && k == key && a == want {
			return i
		}
	}
	return -1
}
