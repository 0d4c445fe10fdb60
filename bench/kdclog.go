package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"time"
)

// kdcRequest is one request line of the MIT KDC's log.
type kdcRequest struct {
	At     time.Time // the log has whole seconds
	Kind   string    // AS_REQ or TGS_REQ
	Status string    // ISSUE, NEEDED_PREAUTH, or an error
	Client string    // without the realm
}

// kdcLogLine matches e.g.
//
//	Nov 22 21:02:03 host krb5kdc[42](info): TGS_REQ (2 etypes {...}) 127.0.0.1: ISSUE: authtime 1, etypes {...}, u1@R for krbtgt/R@R
var (
	kdcLogLine   = regexp.MustCompile(`^(\w{3} [ \d]\d \d\d:\d\d:\d\d) \S+ krb5kdc\[\d+\]\(\w+\): (AS_REQ|TGS_REQ) \(.*?\) [^ ]+: ([A-Z_]+): (.*)$`)
	kdcLogClient = regexp.MustCompile(`(\S+)@\S+ for \S+`)
)

func parseKDCLog(path string, now time.Time) ([]kdcRequest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var reqs []kdcRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if r, ok := parseKDCLine(sc.Text(), now); ok {
			reqs = append(reqs, r)
		}
	}
	return reqs, sc.Err()
}

func parseKDCLine(line string, now time.Time) (kdcRequest, bool) {
	m := kdcLogLine.FindStringSubmatch(line)
	if m == nil {
		return kdcRequest{}, false
	}
	at, err := time.ParseInLocation("Jan _2 15:04:05", m[1], time.Local)
	if err != nil {
		return kdcRequest{}, false
	}
	// The log has no year; a date ahead of now is from last December.
	at = at.AddDate(now.Year(), 0, 0)
	if at.After(now.Add(24 * time.Hour)) {
		at = at.AddDate(-1, 0, 0)
	}
	c := kdcLogClient.FindAllStringSubmatch(m[4], -1)
	if len(c) == 0 {
		return kdcRequest{}, false
	}
	return kdcRequest{At: at, Kind: m[2], Status: m[3], Client: c[len(c)-1][1]}, true
}

// between keeps the requests of clients named with prefix logged in
// [from, to), both taken to whole seconds as the log has them.
func between(reqs []kdcRequest, prefix string, from, to time.Time) []kdcRequest {
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	var out []kdcRequest
	for _, r := range reqs {
		if strings.HasPrefix(r.Client, prefix) && !r.At.Before(from) && r.At.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

// perSecond counts requests in each second of [from, to).
func perSecond(reqs []kdcRequest, from, to time.Time) []float64 {
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	n := int(to.Sub(from) / time.Second)
	if n <= 0 {
		return nil
	}
	counts := make([]float64, n)
	for _, r := range reqs {
		if i := int(r.At.Sub(from) / time.Second); i >= 0 && i < n {
			counts[i]++
		}
	}
	return counts
}

// peak is the largest sum over any width consecutive buckets.
func peak(counts []float64, width int) float64 {
	var best, sum float64
	for i, c := range counts {
		sum += c
		if i >= width {
			sum -= counts[i-width]
		}
		best = max(best, sum)
	}
	return best
}
