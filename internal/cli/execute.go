package cli

// execute runs the mode the command line selected and returns the exit
// status. Modes return errors; exitWith reports them, here, once.
func execute(o *options) int {
	st := beginStartup()
	defer st.stop()
	ctx := st.ctx
	quiet = o.quiet
	if o.mode == modeList {
		// Every cache of this user's daemons: no cache of its own to open.
		return exitWith(runList())
	}
	s, err := newSession(o, st)
	if err != nil {
		if o.json {
			// A check reading --status --json gets its object anyway.
			if jerr := statusJSONFailure(err); jerr != nil {
				return exitWith(jerr)
			}
		}
		return exitWith(st.outcome(err))
	}
	switch o.mode {
	case modeStatus:
		err = runStatus(s, o)
	case modeStop:
		err = runStop(s)
	case modeOnce:
		err = runOnce(ctx, s, o)
	case modeDaemon:
		err = runDaemonMode(ctx, s, o)
	default:
		err = runCommandMode(ctx, s, o)
	}
	return exitWith(st.outcome(err))
}
