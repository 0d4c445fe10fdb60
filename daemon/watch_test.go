package daemon

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func expectChange(t *testing.T, w *FileWatch, what string) {
	t.Helper()
	select {
	case <-w.C:
	case <-time.After(5 * time.Second):
		t.Fatalf("no change reported after %s", what)
	}
}

func expectQuiet(t *testing.T, w *FileWatch, what string) {
	t.Helper()
	select {
	case <-w.C:
		t.Fatalf("a change reported after %s", what)
	case <-time.After(300 * time.Millisecond):
	}
}

// Every way kinit, kdestroy or another writer changes a cache wakes the
// daemon; reading it and touching other files in its directory do not.
func TestWatchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "krb5cc")
	if err := os.WriteFile(path, []byte("v1"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := WatchFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, w, "reading the cache and writing another file")

	if err := os.WriteFile(path, []byte("v2"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "writing in place (kinit)")

	tmp := filepath.Join(dir, "tmp")
	os.WriteFile(tmp, []byte("v3"), 0o600)
	drain(w)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "a rename over the cache")
	// The watch follows the path to the new inode.
	if err := os.WriteFile(path, []byte("v4"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "writing the renamed-in file")

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "kdestroy")
	drain(w)
	if err := os.WriteFile(filepath.Join(dir, "another"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, w, "another file appearing while the cache is missing")
	if err := os.WriteFile(path, []byte("v5"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "the cache coming back")
	drain(w)
	if err := os.WriteFile(path, []byte("v6"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectChange(t, w, "writing the cache that came back")

	w.Stop()
	drain(w)
	os.WriteFile(path, []byte("v7"), 0o600)
	expectQuiet(t, w, "Stop")
}

func drain(w *FileWatch) {
	time.Sleep(50 * time.Millisecond)
	select {
	case <-w.C:
	default:
	}
}
