package testkdc

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

func (k *KDC) logPath() string    { return filepath.Join(k.Dir, "kdc.log") }
func (k *KDC) stderrPath() string { return filepath.Join(k.Dir, "krb5kdc.out") }

// Log returns what the KDC logged (every request it served, with the reason
// for each refusal) followed by krb5kdc's own output, for failure messages.
func (k *KDC) Log() string {
	s := readFrom(k.logPath(), 0)
	if out := readFrom(k.stderrPath(), 0); out != "" {
		s += "--- krb5kdc output ---\n" + out
	}
	return s
}

// logTail keeps failure messages readable.
func (k *KDC) logTail() string {
	const keep = 30
	lines := strings.Split(strings.TrimRight(k.Log(), "\n"), "\n")
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return "kdc log (tail):\n" + strings.Join(lines, "\n")
}

// readFrom returns the file's contents after offset, or "" if unreadable.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
