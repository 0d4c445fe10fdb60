package cli

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/krenew/krenew/daemon"
)

// Main is the whole of krenew's main: it never returns.
func Main() {
	// A limit on open files the runtime cannot live with is said in one
	// line, before the runtime's poller needs a descriptor it cannot get.
	// The detached child inherits the limit its parent passed.
	if !daemon.IsDaemon() {
		if err := checkOpenFiles(); err != nil {
			os.Exit(exitWith(err))
		}
	}
	// The detached daemon is this binary again; it must finish go-daemon's
	// handshake before anything reads stdin or parses flags.
	if daemon.IsDaemon() {
		if err := daemon.Init(); err != nil {
			daemon.Fail(err.Error())
			os.Exit(exitFailure)
		}
	}
	os.Exit(run(os.Args))
}

// run is main without os.Exit, so that deferred cleanups run and the
// exit status is decided in one place.
func run(args []string) int {
	var opts *options
	app := newApp(func(c *cli.Context) error {
		o, err := optionsFrom(c)
		if err != nil {
			return err
		}
		opts = o
		return nil
	})
	// kstart's getopt forms (-H5, -bK 60) become words urfave/cli reads.
	expanded, err := expandShortOptions(args[1:])
	if err != nil {
		return exitWith(usageFailure(err))
	}
	commandLine = expanded
	if err := app.Run(append([]string{args[0]}, expanded...)); err != nil {
		return exitWith(usageFailure(err))
	}
	if opts == nil { // --help or --version was handled by the library
		return exitOK
	}
	return execute(opts)
}
