package testkdc

import (
	"os/exec"
	"path/filepath"
)

// sbinDirs are searched after PATH because non-root users often lack
// /usr/sbin in PATH, and that is where Debian installs the KDC programs.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// lookTool finds an MIT program by name, also in the sbin directories.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil || filepath.Base(name) != name {
		return p, err
	}
	for _, dir := range sbinDirs {
		if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return p, nil
		}
	}
	return "", err
}
