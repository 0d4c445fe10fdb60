// Command gofloor is the Go floor that bench measures krenew against: a
// program that does nothing, built the way the Makefile builds krenew.
// Without arguments it exits at once (the cost of starting and ending a Go
// process); with "sleep" it blocks until killed (what any idle Go process
// keeps resident). Neither can be beaten by a Go program, so a target
// below them is out of reach for krenew too.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sleep" {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		<-c
	}
}
