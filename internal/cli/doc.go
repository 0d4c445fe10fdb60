// Package cli is krenew's command line. main.go at the repository root only
// calls Main. Each file has one job:
//
//   - main.go: Main: the open-files limit (limits.go), the daemon
//     handshake, flag parsing, then execute.
//   - startup.go: the start-up's signals: SIGINT, SIGTERM or SIGHUP before
//     the keeper takes them over cancel every wait and end the run with
//     128 + the signal.
//   - app.go, getopt.go, options.go, duration.go: the flags (urfave/cli),
//     kstart's getopt forms (-H5, -bK 60), validation into options, and
//     Kerberos durations (7d, 1h30m).
//   - execute.go: picks the mode; modes return errors, and exitWith
//     (messages.go) reports them, once.
//   - mode_daemon.go: plain krenew, --foreground and -K: get a ticket if
//     needed, detach, and keep the cache renewed.
//   - mode_command.go: krenew -- cmd: the command's cache, renewed while
//     it runs, and its exit status.
//   - mode_once.go: --once, kinit -R and -H one-shots.
//   - mode_status.go: --status and klist -s semantics, as text or
//     (--json) one JSON object for monitoring.
//     A mode file uses the shared files below but never another mode's
//     functions (shape_test.go checks it).
//   - session.go: what every mode resolves first: krb5.conf, the cache,
//     the principal, the lock key.
//   - lifetimes.go: -l and -r once the principal's realm is known: the
//     flag, else krb5.conf [appdefaults] krenew, else 7d and 14d.
//   - ticket.go: the ticket in the cache: find it, get one (one prompt or
//     the keytab), store it without losing another principal's.
//   - keeper.go: the renewal framework of every long-running mode, as
//     kstart's framework.c: one renew.Config (policy, -a's default, error
//     mode, aklog, keytab re-acquisition), then pidfile, signals, the
//     readiness report, systemd, idle tuning and the engine, in one
//     order; command mode's command is a job run beside the engine.
//   - keytab.go: keytab paths, the keytab principal, keytab acquisition.
//   - child.go: what the detached child is given (its argv) and does first.
//   - fresh.go: after a prompt, the fresh exec that keeps the ticket in
//     the foreground (--foreground, a command) without the password's
//     memory.
//   - process.go: starting the command and reading its exit status.
//   - idle.go, aklog.go: the idle tuning of a sleeping daemon; -t.
//   - messages.go: every failure the user sees, the exit statuses, the
//     writers they go to (variables, so tests capture them; each line is
//     escaped there, internal/escape, as text from a cache or a KDC may
//     have reached it), and exitWith,
//     which prints a failure as one error line and a hint, or hands it to
//     the waiting parent when a detached child fails to start.
//   - export.go: what the end-to-end tests in internal/e2e read (the
//     flags and --help).
//
// The tests beside these files run in-process, in milliseconds, with no
// KDC: getopt and durations, options and usage errors (exit_test.go),
// --status output (status_test.go, status_json_test.go), the lifetimes'
// sources (lifetimes_test.go), messages and exit statuses, the
// child's argv round trip (child_test.go), and the package's shape.
// Behaviour against a real KDC is internal/e2e's.
package cli
