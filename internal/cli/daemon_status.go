package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/krenew/krenew/renew"
)

// The daemon publishes its state on its lock as one line of key=value
// fields, so that --status and a second krenew can say who renews the
// cache and when. Times are Unix seconds; unknown keys are ignored, so the
// format can grow.
type daemonStatus struct {
	pid       int
	principal string
	end, till time.Time
	next      time.Time
	lastError string
}

func formatDaemonStatus(pid int, st renew.Status) string {
	unix := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.Unix(), 10)
	}
	line := fmt.Sprintf("pid=%d\tprincipal=%s\tend=%s\ttill=%s\tnext=%s",
		pid, st.Principal, unix(st.EndTime), unix(st.RenewTill), unix(st.NextRenewal))
	if st.LastError != "" {
		line += "\terror=" + strings.NewReplacer("\t", " ", "\n", " ").Replace(st.LastError)
	}
	return line
}

func parseDaemonStatus(line string) daemonStatus {
	var st daemonStatus
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
			st.pid, _ = strconv.Atoi(v)
		case "principal":
			st.principal = v
		case "end":
			st.end = t()
		case "till":
			st.till = t()
		case "next":
			st.next = t()
		case "error":
			st.lastError = v
		}
	}
	return st
}
