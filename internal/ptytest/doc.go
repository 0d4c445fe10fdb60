// Package ptytest gives tests a real pseudo-terminal, made from /dev/ptmx
// without extra dependencies, so code that talks to a terminal (password
// prompts, echo, ^C) is tested where no terminal exists, as in CI.
//
// A PTY runs one process with the slave side as its controlling terminal,
// records everything the terminal displays, lets the test type into it and
// read its termios, and bounds every wait: a test that uses it fails with
// what the terminal showed instead of hanging, and the process is killed
// when the test ends.
package ptytest
