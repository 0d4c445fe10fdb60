package daemon

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWritePidfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "krenew.pid")
	if err := os.WriteFile(path, []byte("999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WritePidfile(path, 4242); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "4242\n" {
		t.Errorf("pid file holds %q (%v), want 4242", b, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("pid file mode %v (%v), want 0644", st.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the pid file (no temp left over)", len(ents))
	}

	if err := WritePidfile("relative.pid", 1); err == nil {
		t.Error("relative pid file path accepted")
	}
	if err := WritePidfile(filepath.Join(dir, "missing", "x.pid"), 1); err == nil {
		t.Error("pid file in a missing directory: no error")
	}
}

func TestRemovePidfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "krenew.pid")
	if err := WritePidfile(path, 4242); err != nil {
		t.Fatal(err)
	}

	// Another krenew took over the file: it stays.
	if err := RemovePidfile(path, 1234); err != nil {
		t.Errorf("RemovePidfile with another pid: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("pid file of another process removed: %v", err)
	}

	if err := RemovePidfile(path, 4242); err != nil {
		t.Errorf("RemovePidfile: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("pid file still there: %v", err)
	}
	if err := RemovePidfile(path, 4242); err != nil {
		t.Errorf("RemovePidfile of a missing file: %v", err)
	}
}
