// Package prompt owns how krenew obtains a password from a person or a pipe
// and how the process holding it is protected.
//
// Passwords exist only as []byte so they can be wiped: callers must pass the
// result of ReadPassword or ReadLine to Zero once the KDC exchange is done,
// and must never convert it to a string (strings are immutable and end up in
// places Zero cannot reach).
//
// ReadPassword talks to the controlling terminal (/dev/tty), not to
// stdin/stdout, so it works with redirected standard streams. It turns echo
// off but keeps canonical mode and ISIG, so the kernel's line editing
// (backspace, ^U) works and ^C still raises SIGINT. While echo is off it
// catches SIGINT, SIGTERM, SIGHUP and SIGQUIT: the terminal is restored and
// ReadPassword returns an *InterruptedError (errors.Is(err, ErrInterrupted))
// instead of the process dying with echo left off; the caller decides how to
// exit (InterruptedError.ExitStatus gives the conventional 128+signal).
//
// Harden makes the process that holds the password non-dumpable and disables
// core files for it.
package prompt
