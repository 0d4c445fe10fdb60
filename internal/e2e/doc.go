// Package e2e holds krenew's end-to-end tests: each builds the binary once,
// runs it by path against a throwaway MIT KDC (internal/testkdc), KCM
// servers (internal/testkcm) and kstart's and MIT's tools as oracles, and
// checks what a user would see. The tests run from the repository root;
// everything more than one test file uses is in helpers_test.go, and
// longTest marks the tests that -short (make quick) skips.
package e2e
