package main

import (
	"testing"
	"time"
)

// Lines as MIT krb5kdc 1.20 writes them; the etype lists hold parentheses
// and commas that must not confuse the parser.
const (
	tgsLine = `Nov 22 22:18:16 vm krb5kdc[23808](info): TGS_REQ (4 etypes {aes256-cts-hmac-sha1-96(18), aes256-cts-hmac-sha384-192(20), aes128-cts-hmac-sha256-128(19), aes128-cts-hmac-sha1-96(17)}) 127.0.0.1: ISSUE: authtime 1795385896, etypes {rep=aes256-cts-hmac-sha1-96(18), tkt=aes256-cts-hmac-sha1-96(18), ses=aes256-cts-hmac-sha1-96(18)}, r-inproc@KRENEW.TEST for krbtgt/KRENEW.TEST@KRENEW.TEST`
	asLine  = `Nov  2 09:05:07 vm krb5kdc[23808](info): AS_REQ (8 etypes {aes256-cts-hmac-sha1-96(18), DEPRECATED:arcfour-hmac(23)}) 127.0.0.1: NEEDED_PREAUTH: kr0001@KRENEW.TEST for krbtgt/KRENEW.TEST@KRENEW.TEST, Additional pre-authentication required`
	other   = `Nov 22 22:18:16 vm krb5kdc[23808](info): commencing operation`
)

func TestParseKDCLine(t *testing.T) {
	now := time.Date(2025, 11, 23, 0, 0, 0, 0, time.Local)
	r, ok := parseKDCLine(tgsLine, now)
	if !ok {
		t.Fatal("TGS_REQ line not parsed")
	}
	want := kdcRequest{At: time.Date(2025, 11, 22, 22, 18, 16, 0, time.Local), Kind: "TGS_REQ", Status: "ISSUE", Client: "r-inproc"}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	r, ok = parseKDCLine(asLine, now)
	if !ok || r.Kind != "AS_REQ" || r.Status != "NEEDED_PREAUTH" || r.Client != "kr0001" || r.At.Day() != 2 || r.At.Hour() != 9 {
		t.Errorf("AS_REQ line: got %+v, %v", r, ok)
	}
	if _, ok := parseKDCLine(other, now); ok {
		t.Error("a line that is no request was parsed as one")
	}
}

func TestParseKDCLineYearWrap(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 5, 0, time.Local)
	r, ok := parseKDCLine(`Dec 31 23:59:59 vm krb5kdc[1](info): TGS_REQ (1 etypes {x(1)}) 127.0.0.1: ISSUE: authtime 1, etypes {rep=x(1)}, a@R for krbtgt/R@R`, now)
	if !ok || r.At.Year() != 2025 {
		t.Errorf("a December line read on January 1st: got %v, %v", r.At, ok)
	}
}

func TestLoadBuckets(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return from.Add(time.Duration(s) * time.Second) }
	reqs := []kdcRequest{
		{At: at(0), Kind: "TGS_REQ", Status: "ISSUE", Client: "a"},
		{At: at(0), Kind: "TGS_REQ", Status: "ISSUE", Client: "b"},
		{At: at(5), Kind: "TGS_REQ", Status: "ISSUE", Client: "a"},
		{At: at(12), Kind: "TGS_REQ", Status: "TICKET_EXPIRED", Client: "b"},
		{At: at(20), Kind: "TGS_REQ", Status: "ISSUE", Client: "a"}, // outside [from, from+20s)
	}
	l := load(between(reqs, "", from, at(20)), []string{"a", "b", "c"}, from, at(20))
	if l.total != 4 || l.failed != 1 {
		t.Errorf("total %d failed %d, want 4 and 1", l.total, l.failed)
	}
	if l.peak1 != 2 || l.peak10 != 3 {
		t.Errorf("peaks %v/1s %v/10s, want 2 and 3", l.peak1, l.peak10)
	}
	if l.perHour != 4*180 {
		t.Errorf("per hour %v, want %v", l.perHour, 4*180)
	}
	if s := summarize(l.perDaemon); s.Min != 0 || s.Max != 2 || s.Median != 1 {
		t.Errorf("renewals per daemon %+v, want 0..2 median 1", s)
	}
}

func TestSummarize(t *testing.T) {
	s := summarize([]float64{5, 1, 3, 2})
	if s.Median != 2.5 || s.Min != 1 || s.Max != 5 || s.N != 4 {
		t.Errorf("got %+v", s)
	}
	if got := s.format(1); got != "2.5 (1.0–5.0)" {
		t.Errorf("format: %q", got)
	}
	if got := ratio(one(1), one(4)); got != 0.25 {
		t.Errorf("ratio %v", got)
	}
}
