// Package daemon owns how krenew runs unattended: detaching into a fresh
// exec of itself with a readiness handshake (Detach in the prompting parent;
// IsDaemon, Init, Ready, Fail and Reported in the child), the
// one-daemon-per-cache lock that doubles as a status endpoint (AcquireLock,
// WaitLock; the holder publishes a typed Status, which QueryStatus reads), the
// pidfile, the logger (stderr and/or syslog), the signals the renewal loop
// listens to, and the readiness notice to systemd for Type=notify units
// (NotifyReady, Notifier).
//
// The child is started by go-daemon (github.com/sevlyar/go-daemon), which
// re-executes os.Executable() in a new session with the working directory "/"
// and hands it a JSON copy of its Context (args, environment, a few paths) on
// stdin; nothing else crosses from parent to child. In particular the password
// the parent may have read never does: it is not in the args or environment
// the caller passes, and the only pipe between the two carries data from the
// child to the parent.
//
// Linux only: the handshake reopens a pipe through /proc/self/fd, and the
// lock is an abstract unix socket checked with SO_PEERCRED.
package daemon
