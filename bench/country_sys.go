package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// raiseFileLimit raises the process's open-file limit to want (as far as
// the hard limit allows, and the hard limit too when the process may): a
// country's SQLite databases and TLS connections need tens of thousands.
// It returns the soft limit in force.
func raiseFileLimit(want uint64) uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	if l.Cur >= want {
		return l.Cur
	}
	if l.Max < want {
		n := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n) == nil {
			return want
		}
	}
	l.Cur = min(want, l.Max)
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return l.Cur
}

// residentBytes is the process's resident set after a garbage collection.
func residentBytes() int64 {
	runtime.GC()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// mappedDatabasesBytes is the resident part of the process's mappings of
// SQLite files (a database mapped with mmap_size, the WAL index "-shm"):
// file pages, counted in the resident set, that the kernel may drop.
func mappedDatabasesBytes() int64 {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0
	}
	var total int64
	inDB := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			path := ""
			if len(f) >= 6 {
				path = f[5]
			}
			inDB = strings.HasSuffix(path, ".db") || strings.HasSuffix(path, ".db-shm")
		case inDB && len(f) == 3 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			total += kb << 10
		}
	}
	return total
}

// openFiles is how many file descriptors the process holds.
func openFiles() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(es)
}

// maxRSSMB is the process's peak resident set in MB.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

// loadAverage is the machine's 1-minute load average ("" if unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
