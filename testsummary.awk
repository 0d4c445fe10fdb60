# testsummary.awk reads `go test -v` output and prints what passed, failed
# and was skipped (subtests included), then one line per skip with the
# reason the test gave, so that a skip is never hidden in a long log. The
# counting line has the form CI runners read: "unit: N passed, N failed, N skipped".
#
# go test -v streams what a test logs under "=== RUN/CONT/NAME <test>"
# before its "--- SKIP" line, so a skip's reason is the last line that
# test logged; output that comes after the result line (a test binary
# that does not stream) is taken too.
/^=== (RUN|CONT|NAME|PAUSE) / { current = $3; next }
/^ *--- PASS: / { passed++; pending = 0; next }
/^ *--- FAIL: / { failed++; pending = 0; next }
/^ *--- SKIP: / {
	skipped++
	names[skipped] = $3
	pending = (logged[$3] == "")
	next
}
/^ +[A-Za-z0-9_]+\.go:[0-9]+: / {
	msg = $0
	sub(/^ +[^ ]+ /, "", msg)
	if (pending) {
		logged[names[skipped]] = msg
		pending = 0
	} else if (current != "") {
		logged[current] = msg
	}
}
END {
	printf "unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped
	for (i = 1; i <= skipped; i++) {
		reason = logged[names[i]]
		if (reason == "") reason = "no reason given"
		printf "  skipped %s: %s (%s)\n", names[i], reason, logfile
	}
}
