package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/daemon"
)

func TestListTable(t *testing.T) {
	till := time.Date(2026, 12, 14, 9, 30, 0, 0, time.UTC)
	var b bytes.Buffer
	printList(&b, []daemon.Holder{
		{PID: 42, Status: daemon.Status{Cache: "KCM:1000", Principal: "carol@R", RenewTill: till}},
		{PID: 7, Status: daemon.Status{Cache: "FILE:/tmp/krb5cc_1000", Principal: "alice@R", RenewTill: till}},
		{PID: 9, Status: daemon.Status{LastError: "krenew pid 9 did not report its status"}},
	})
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("table:\n%s", b.String())
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "CACHE PRINCIPAL RENEWABLE UNTIL PID" {
		t.Errorf("header %q", lines[0])
	}
	// Sorted by cache, each row ending in its pid, the columns aligned.
	for i, want := range []struct{ cache, principal, pid string }{
		{"-", "-", "9"}, {"FILE:/tmp/krb5cc_1000", "alice@R", "7"}, {"KCM:1000", "carol@R", "42"},
	} {
		f := strings.Fields(lines[i+1])
		if f[0] != want.cache || f[1] != want.principal || f[len(f)-1] != want.pid {
			t.Errorf("row %d %q, want %s %s ... %s", i+1, lines[i+1], want.cache, want.principal, want.pid)
		}
		if at := len(want.cache) + strings.Index(lines[i+1][len(want.cache):], want.principal); at != strings.Index(lines[0], "PRINCIPAL") {
			t.Errorf("row %d %q is not aligned with the header %q", i+1, lines[i+1], lines[0])
		}
	}
}

func TestListEscapesWhatCachesSay(t *testing.T) {
	var b bytes.Buffer
	printList(&b, []daemon.Holder{{PID: 1, Status: daemon.Status{Cache: "FILE:/tmp/a", Principal: "mallory\x1b[2J@R"}}})
	if strings.ContainsRune(b.String(), 0x1b) || !strings.Contains(b.String(), `mallory\x1b[2J@R`) {
		t.Errorf("--list printed %q", b.String())
	}
}
