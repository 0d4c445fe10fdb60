package cli

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseBinaryPages drops the pages of krenew's own code and read-only
// data from the process's page tables, with madvise(MADV_DONTNEED) on each
// read-only mapping of the executable. Start-up faults in far more of the
// binary than an idle daemon ever runs again (the kernel maps whole
// fault-around blocks, and the flag parsing, the first ticket and the
// detaching run only once): about 6 MiB of a daemon's resident set, which
// only the rare renewal needs, and then only a few pages of it.
//
// This is safe only for private mappings that were never written, which a
// read-only one cannot have been: the kernel then refaults each page from
// the file, unchanged (madvise(2): "repopulate the memory contents from
// the up-to-date contents of the underlying mapped file"). The file stays
// valid while it is mapped: a running executable cannot be written
// (ETXTBSY), and a package upgrade replaces it with a new inode. The pages
// stay in the page cache, shared with every other krenew, so the next
// renewal costs minor faults, not disk reads. Writable mappings (.data,
// heap, stacks) are left alone. Any failure leaves memory as it was.
//
// How much comes back at the next page fault is the kernel's choice: a
// fault-around block (64 KiB), or since about Linux 6.16 the whole
// page-cache folio. A binary read from disk sits in readahead-sized
// folios and stays near 1.2 MiB resident; one the page cache still holds
// as written in one piece (2 MiB folios) keeps about 4 MiB.
func releaseBinaryPages() {
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return
	}
	for _, m := range readOnlyMappingsOf(exe.Dev, exe.Ino) {
		// The raw call, since unix.Madvise wants the range as a []byte,
		// which memory Go did not allocate can only become through unsafe.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED)
	}
}

// readOnlyMappingsOf returns this process's private read-only mappings of
// the file with device dev and inode ino, from /proc/self/maps. The file is matched by inode, not by
// path, so that a binary replaced on disk (its path then ends in
// " (deleted)") is still found.
func readOnlyMappingsOf(dev, ino uint64) []mapping {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseReadOnlyMapping(sc.Text(), dev, ino); ok {
			out = append(out, m)
		}
	}
	return out
}

// parseReadOnlyMapping reads one line of /proc/PID/maps ("start-end perms
// offset major:minor inode path") and reports the range if it is a
// private mapping without write permission of the file dev/ino.
func parseReadOnlyMapping(line string, dev, ino uint64) (mapping, bool) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f[1]) != 4 || f[1][1] == 'w' || f[1][3] != 'p' {
		return mapping{}, false
	}
	if n, err := strconv.ParseUint(f[4], 10, 64); err != nil || n != ino {
		return mapping{}, false
	}
	major, minor, found := strings.Cut(f[3], ":")
	ma, err1 := strconv.ParseUint(major, 16, 32)
	mi, err2 := strconv.ParseUint(minor, 16, 32)
	if !found || err1 != nil || err2 != nil || unix.Mkdev(uint32(ma), uint32(mi)) != dev {
		return mapping{}, false
	}
	start, end, found := strings.Cut(f[0], "-")
	a, err1 := strconv.ParseUint(start, 16, 64)
	b, err2 := strconv.ParseUint(end, 16, 64)
	if !found || err1 != nil || err2 != nil || b <= a {
		return mapping{}, false
	}
	return mapping{uintptr(a), uintptr(b)}, true
}

// mapping is one address range of /proc/self/maps, [start, end).
type mapping struct{ start, end uintptr }
