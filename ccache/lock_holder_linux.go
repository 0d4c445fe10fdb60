package ccache

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxHolders bounds how many holders a message names.
const maxHolders = 3

// lockHolders finds the processes holding fcntl locks on the file fi
// describes, for the message that says who blocks the cache. /proc/locks
// gives the pid of a classic POSIX lock, but -1 for an OFD lock (the kind
// libkrb5 and krenew take), as does F_OFD_GETLK: an OFD lock belongs to an
// open file, not to a process. The kernel lists each open file's locks in
// its /proc/PID/fdinfo/FD, so the holder is found there; another user's
// fdinfo is readable only by root, so an unprivileged krenew may find
// nobody, and says "another process".
func lockHolders(fi fs.FileInfo) []LockHolder {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	key := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	var pids []int
	ofd := false
	for _, l := range lockLines(readProcFile("/proc/locks"), key) {
		switch {
		case l.kind == "OFDLCK":
			ofd = true
		case l.kind == "POSIX" && l.pid > 0 && !slices.Contains(pids, l.pid):
			pids = append(pids, l.pid)
		}
	}
	if ofd && len(pids) < maxHolders {
		pids = append(pids, ofdHolders(key, maxHolders-len(pids))...)
	}
	var out []LockHolder
	for _, pid := range pids[:min(len(pids), maxHolders)] {
		out = append(out, describeProcess(pid))
	}
	return out
}

type lockLine struct {
	kind string // POSIX, OFDLCK, FLOCK...
	pid  int
}

// lockLines parses /proc/locks or fdinfo "lock:" lines such as
// "1: OFDLCK ADVISORY  WRITE -1 fe:00:1234 0 EOF" and keeps the granted
// locks on key (MAJ:MIN:INODE); "1: -> ..." lines are waiters.
func lockLines(text []byte, key string) []lockLine {
	var out []lockLine
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(sc.Text(), "lock:"))
		if len(f) < 6 || f[1] == "->" || f[5] != key {
			continue
		}
		pid, _ := strconv.Atoi(f[4])
		out = append(out, lockLine{kind: f[1], pid: pid})
	}
	return out
}

// ofdHolders scans every process's fdinfo for an open file holding an OFD
// lock on key. It runs only once a wait has failed, so its cost (a read per
// open file on the machine) is paid once, on the way out.
func ofdHolders(key string, limit int) []int {
	procs, _ := os.ReadDir("/proc")
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fdinfo"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if slices.ContainsFunc(lockLines(readProcFile(filepath.Join("/proc", p.Name(), "fdinfo", fd.Name())), key),
				func(l lockLine) bool { return l.kind == "OFDLCK" }) {
				pids = append(pids, pid)
				break
			}
		}
		if len(pids) >= limit {
			break
		}
	}
	return pids
}

// describeProcess names a process by its command and real uid, from
// /proc/PID/status: the owner of /proc/PID is root for a process that made
// itself non-dumpable, as krenew and many daemons do.
func describeProcess(pid int) LockHolder {
	h := LockHolder{PID: pid, UID: -1}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	h.Command = strings.TrimSpace(string(readProcFile(filepath.Join(dir, "comm"))))
	sc := bufio.NewScanner(bytes.NewReader(readProcFile(filepath.Join(dir, "status"))))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "Uid:" {
			if uid, err := strconv.Atoi(f[1]); err == nil {
				h.UID = uid
			}
		}
	}
	return h
}

// readProcFile reads a /proc file, bounded: /proc/locks on a busy machine
// is long, but not megabytes.
func readProcFile(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return b
}
