package ptytest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests run processes on the pty; they are re-executed copies of the
// test binary, selected by this variable, so no outside program is needed.
const helperEnv = "PTYTEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func runHelper(mode string) int {
	// Opening /dev/tty succeeds only for a process with a controlling
	// terminal, which is what Start promises.
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "no controlling terminal: %v\n", err)
		return 10
	}
	defer tty.Close()
	streams := fmt.Sprintf("stdin=%t stdout=%t stderr=%t",
		isTerminal(0), isTerminal(1), isTerminal(2))
	switch mode {
	case "echo":
		fmt.Fprintf(tty, "%s\nready\n", streams)
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Fprintf(tty, "got:%s", line)
		return 3
	case "streams":
		fmt.Fprintf(tty, "ctty ok\n")
		fmt.Println(streams)
		return 0
	case "sigint":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT)
		fmt.Fprintf(tty, "ready\n")
		select {
		case s := <-sigs:
			fmt.Fprintf(tty, "caught %v\n", s)
			return 0
		case <-time.After(20 * time.Second):
			return 11
		}
	case "bye":
		fmt.Fprintf(tty, "bye\n")
		return 0
	case "sleep":
		fmt.Fprintf(tty, "ready\n")
		time.Sleep(time.Hour)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

func helperCmd(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// atexit_sleep_ms: under -race every helper would otherwise linger 1s.
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	return cmd
}

// fatalRecorder stands in for the test where a ptytest call is expected to
// fail it: the failure is recorded and the calling goroutine ends, as
// FailNow would end it.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalOf runs fn with a fatalRecorder and returns the failure message, ""
// if fn did not fail.
func fatalOf(t *testing.T, fn func(tb testing.TB)) string {
	f := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.msg
}
