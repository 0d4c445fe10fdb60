package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is what a renewing krenew publishes on its lock, so that
// --status and a second krenew can say who renews the cache and when.
type Status struct {
	PID         int
	Principal   string
	Cache       string // the cache the holder maintains, as the user named it
	EndTime     time.Time
	RenewTill   time.Time
	NextRenewal time.Time
	LastError   string
}

// String is the wire form: one line of tab-separated key=value fields,
// times in Unix seconds (0 for none). Readers ignore keys they do not
// know, so the format can grow without breaking an older --status.
func (st Status) String() string {
	unix := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.Unix(), 10)
	}
	line := fmt.Sprintf("pid=%d\tprincipal=%s\tend=%s\ttill=%s\tnext=%s",
		st.PID, st.Principal, unix(st.EndTime), unix(st.RenewTill), unix(st.NextRenewal))
	oneField := strings.NewReplacer("\t", " ", "\n", " ")
	if st.Cache != "" {
		line += "\tcache=" + oneField.Replace(st.Cache)
	}
	if st.LastError != "" {
		line += "\terror=" + oneField.Replace(st.LastError)
	}
	return line
}

// ParseStatus reads the wire form; what it cannot read stays zero, as an
// older or newer daemon's line must still show what it can.
func ParseStatus(line string) Status {
	var st Status
	for _, field := range strings.Split(line, "\t") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			continue
		}
		t := func() time.Time {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n == 0 {
				return time.Time{}
			}
			return time.Unix(n, 0)
		}
		switch k {
		case "pid":
			st.PID, _ = strconv.Atoi(v)
		case "principal":
			st.Principal = v
		case "cache":
			st.Cache = v
		case "end":
			st.EndTime = t()
		case "till":
			st.RenewTill = t()
		case "next":
			st.NextRenewal = t()
		case "error":
			st.LastError = v
		}
	}
	return st
}

// Publish serves st to clients of the lock.
func (l *Lock) Publish(st Status) { l.SetStatus(st.String()) }

// QueryStatus is QueryHolder with the holder's status read: pid is the
// holder's as the kernel reports it, whatever its line claims.
func QueryStatus(cachePath string) (pid int, st Status, err error) {
	pid, line, err := QueryHolder(cachePath)
	if err != nil {
		return pid, Status{}, err
	}
	return pid, ParseStatus(line), nil
}
