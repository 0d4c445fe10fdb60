package ccache

import (
	"encoding/binary"
	"math"
	"time"
)

// writer appends big-endian version 4 fields. Lengths wider than the format
// allows cannot come from Parse; for hand-built values they are truncated
// the same way MIT's marshaller truncates them.
type writer struct{ b []byte }

func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

func (w *writer) data(p []byte) {
	w.u32(uint32(len(p)))
	w.b = append(w.b, p...)
}

// timestamp writes the zero time as 0 and clamps other times to the
// unsigned 32-bit range (1970 to 2106) the format can hold.
func (w *writer) timestamp(t time.Time) {
	if t.IsZero() {
		w.u32(0)
		return
	}
	s := t.Unix()
	switch {
	case s < 0:
		s = 0
	case s > math.MaxUint32:
		s = math.MaxUint32
	}
	w.u32(uint32(s))
}

func (w *writer) principal(p Principal) {
	w.u32(uint32(p.NameType))
	w.u32(uint32(len(p.Components)))
	w.data([]byte(p.Realm))
	for _, c := range p.Components {
		w.data([]byte(c))
	}
}

// timesAndFlags is the part of a credential that KCM's tagged
// credentials (REMOVE_CRED's match) share with the file format.
func (w *writer) timesAndFlags(c *Credential) {
	w.timestamp(c.AuthTime)
	w.timestamp(c.StartTime)
	w.timestamp(c.EndTime)
	w.timestamp(c.RenewTill)
	if c.IsSKey {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
	w.u32(c.Flags)
}

func (w *writer) credential(c *Credential) {
	w.principal(c.Client)
	w.principal(c.Server)
	w.u16(uint16(c.Key.EType))
	w.data(c.Key.Value)
	w.timesAndFlags(c)
	w.u32(uint32(len(c.Addresses)))
	for _, a := range c.Addresses {
		w.u16(a.Type)
		w.data(a.Data)
	}
	w.u32(uint32(len(c.AuthData)))
	for _, a := range c.AuthData {
		w.u16(a.Type)
		w.data(a.Data)
	}
	w.data(c.Ticket)
	w.data(c.SecondTicket)
}
