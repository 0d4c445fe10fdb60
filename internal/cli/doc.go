// Package cli is krenew's command line: flags and options, the modes
// (detached daemon, command, once, status), the session they share, and
// every message the user sees. main.go at the repository root only calls
// Main.
package cli
