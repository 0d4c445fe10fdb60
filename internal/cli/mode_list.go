package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/krenew/krenew/daemon"
	"github.com/krenew/krenew/internal/escape"
)

// listOut is where --list writes its table; tests capture it.
var listOut io.Writer = os.Stdout

// runList prints this user's krenew daemons, one line each: the cache,
// the principal, until when it can be renewed, the pid. Nothing running is
// no failure: the table is then empty.
func runList() error {
	holders, err := daemon.ListHolders()
	if err != nil {
		return listFailure(err)
	}
	printList(listOut, holders)
	return nil
}

func printList(w io.Writer, holders []daemon.Holder) {
	sort.Slice(holders, func(i, j int) bool { return holders[i].Status.Cache < holders[j].Status.Cache })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CACHE\tPRINCIPAL\tRENEWABLE UNTIL\tPID")
	for _, h := range holders {
		st := h.Status
		cache, principal, until := st.Cache, st.Principal, "-"
		if cache == "" {
			cache = "-" // a krenew from before --list, or one that did not answer
		}
		if principal == "" {
			principal = "-"
		}
		if !st.RenewTill.IsZero() {
			until = when(st.RenewTill)
		}
		// A principal comes from a cache, which a hostile KDC or file may
		// have filled: escaped as every other line is (issue 16).
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", escape.Line(cache), escape.Line(principal), until, h.PID)
	}
	tw.Flush()
}
