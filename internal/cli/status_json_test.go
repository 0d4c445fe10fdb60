package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/daemon"
)

// statusJSONKeys is the documented shape: every key, always.
var statusJSONKeys = []string{"cache", "error", "expires", "last_error", "next_renewal", "principal",
	"renew_till", "renewable", "renewed_by", "tgt", "type", "valid"}

// decodeStatus checks that out is one JSON object on one line with every
// documented key, and returns it.
func decodeStatus(t *testing.T, out string) map[string]any {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want one line of JSON, got %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, statusJSONKeys) {
		t.Errorf("keys %q, want %q", keys, statusJSONKeys)
	}
	return m
}

func rfc3339(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }

func wantFields(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
}

func TestStatusJSONOfAValidTicket(t *testing.T) {
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	tgt := ticket(krbtgt, start, 10*time.Hour, 7*24*time.Hour)
	path := writeCache(t, tgt)
	code, out, errOut := inProcess(t, "--status", "--json", "-k", "FILE:"+path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	wantFields(t, decodeStatus(t, out), map[string]any{
		"principal": "alice@EXAMPLE.TEST", "cache": "FILE:" + path, "type": "FILE",
		"valid": true, "tgt": true, "expires": rfc3339(tgt.EndTime), "renew_till": rfc3339(tgt.RenewTill),
		"renewable": true, "next_renewal": nil, "renewed_by": nil, "last_error": nil, "error": nil,
	})
}

// With a daemon holding the cache's lock, renewed_by is its pid and
// next_renewal and last_error are what it published.
func TestStatusJSONWithADaemon(t *testing.T) {
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	tgt := ticket(krbtgt, start, 10*time.Hour, 7*24*time.Hour)
	path := writeCache(t, tgt)
	key, err := ccache.LockKey(path)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := daemon.AcquireLock(key)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	next := start.Add(5 * time.Hour)
	lock.Publish(daemon.Status{PID: os.Getpid(), Principal: "alice@EXAMPLE.TEST", EndTime: tgt.EndTime,
		RenewTill: tgt.RenewTill, NextRenewal: next, LastError: "cannot reach any KDC for realm EXAMPLE.TEST"})
	code, out, errOut := inProcess(t, "--status", "--json", "-k", "FILE:"+path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	wantFields(t, decodeStatus(t, out), map[string]any{
		"valid": true, "next_renewal": rfc3339(next), "renewed_by": float64(os.Getpid()),
		"last_error": "cannot reach any KDC for realm EXAMPLE.TEST", "error": nil,
	})
}

// An expired ticket is exit 1, as with --status, and the object says so;
// nothing goes to stderr.
func TestStatusJSONOfAnExpiredTicket(t *testing.T) {
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	tgt := ticket(krbtgt, start, time.Hour, 0)
	path := writeCache(t, tgt)
	code, out, errOut := inProcess(t, "--status", "--json", "-k", "FILE:"+path)
	if code != exitFailure || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing on stderr", code, errOut)
	}
	wantFields(t, decodeStatus(t, out), map[string]any{
		"valid": false, "tgt": true, "expires": rfc3339(tgt.EndTime), "renew_till": nil,
		"renewable": false, "next_renewal": nil, "error": nil,
	})
}

func TestStatusJSONOfServiceTicketsOnly(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	st := ticket(http, start, time.Hour, 0)
	path := writeCache(t, st)
	code, out, _ := inProcess(t, "--status", "--json", "-k", "FILE:"+path)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 while a service ticket is valid", code)
	}
	wantFields(t, decodeStatus(t, out), map[string]any{
		"valid": true, "tgt": false, "expires": rfc3339(st.EndTime), "renew_till": nil,
		"renewable": false, "renewed_by": nil, "error": nil,
	})
}

// No cache: exit 1, the error line on stderr, and still the object, with
// error saying why and the ticket's keys null.
func TestStatusJSONOfAMissingCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none")
	code, out, errOut := inProcess(t, "--status", "--json", "-u", "alice", "-k", "FILE:"+path)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.HasPrefix(errOut, "krenew: error: no credential cache at FILE:"+path+"\n") {
		t.Errorf("stderr %q", errOut)
	}
	wantFields(t, decodeStatus(t, out), map[string]any{
		"principal": "alice@EXAMPLE.TEST", "cache": "FILE:" + path, "type": "FILE", "valid": false, "tgt": false,
		"expires": nil, "renew_till": nil, "renewable": false, "next_renewal": nil, "renewed_by": nil,
		"error": "no credential cache at FILE:" + path,
	})
}

// A cache krenew cannot even name still gets its object, without cache.
func TestStatusJSONOfAnUnusableCacheName(t *testing.T) {
	code, out, errOut := inProcess(t, "--status", "--json", "-k", "MEMORY:x")
	if code != exitFailure || !strings.HasPrefix(errOut, "krenew: error: ") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	m := decodeStatus(t, out)
	wantFields(t, m, map[string]any{"cache": nil, "principal": nil, "valid": false})
	if e, _ := m["error"].(string); e == "" || !strings.Contains(errOut, e) {
		t.Errorf("error %q is not what stderr says: %q", e, errOut)
	}
}

// --json means nothing without --status: exit 2 with a hint that says
// what to run.
func TestJSONWithoutStatusIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"--json"}, {"--once", "--json"}, {"--json", "--", "true"}} {
		code, out, errOut := inProcess(t, args...)
		want := "krenew: error: --json only applies to --status\nkrenew: hint: run 'krenew --status --json'\n"
		if code != exitUsage || out != "" || errOut != want {
			t.Errorf("krenew %v: exit %d, stdout %q, stderr %q; want 2 and %q", args, code, out, errOut, want)
		}
	}
}
