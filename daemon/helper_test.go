package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the processes the tests start: Detach re-execs
// it with helperArg and a mode, and lock tests run it as a plain child.
const helperArg = "krenew-daemon-test-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		os.Exit(runHelper(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}

// childReport is what the "ready" helper observed about itself.
type childReport struct {
	PID          int
	Sid          int
	Cwd          string
	Mark         string // _GO_DAEMON after Init
	MaxProcs     int    // runtime.GOMAXPROCS as the child started
	StdinBytes   int
	StdinEOF     bool
	SpawnedEnv   string // environment of a process the daemon started
	SpawnedFds   string // the descriptors that process had
	StillDaemon  bool   // IsDaemon after Init
	SecondInit   string // error from calling Init twice
	ReadyTwiceOK bool
	// ReportedEarly is Reported before Ready: a child that has not said
	// how its start went must still hand its errors to the parent.
	ReportedEarly bool
}

func runHelper(mode string, args []string) int {
	switch mode {
	case "context-dump":
		// Stand in for Init: show the parent exactly what go-daemon sent.
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			Fail("read stdin: " + err.Error())
			return 1
		}
		Fail(string(data))
		return 1
	case "hold-lock":
		l, err := AcquireLock(args[0])
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		l.SetStatus(args[1])
		fmt.Println("locked")
		time.Sleep(5 * time.Minute)
		return 0
	case "bind-name":
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: args[0], Net: "unix"})
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		defer ln.Close()
		fmt.Println("bound")
		time.Sleep(5 * time.Minute)
		return 0
	case "raw-query":
		c, err := net.Dial("unix", args[0])
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		fmt.Printf("got:%q err:%v\n", b, err)
		return 0
	}

	if !IsDaemon() {
		fmt.Fprintln(os.Stderr, "helper mode", mode, "expects to be started by Detach")
		return 90
	}
	if err := Init(); err != nil {
		Fail(err.Error())
		return 1
	}
	switch mode {
	case "ready":
		return helperReady()
	case "ready-quick":
		if err := Ready("quick"); err != nil {
			return 1
		}
		return 0
	case "fail":
		fmt.Fprintln(os.Stderr, "diagnostic before failing")
		Fail("cannot take the lock: boom")
		return 1
	case "fail-hint":
		FailWith("cannot write credential cache FILE:/x: read-only file system", "choose another cache with -k")
		return 4
	case "crash":
		fmt.Fprint(os.Stderr, "fatal: no way\n")
		return 3
	case "killed":
		fmt.Fprintln(os.Stderr, "about to die")
		_ = unix.Kill(os.Getpid(), unix.SIGKILL)
		time.Sleep(time.Minute)
		return 0
	case "hang":
		sleep := exec.Command("sleep", "300")
		if err := sleep.Start(); err != nil {
			Fail(err.Error())
			return 1
		}
		fmt.Fprintf(os.Stderr, "grandchild %d\n", sleep.Process.Pid)
		select {}
	}
	Fail("unknown helper mode " + mode)
	return 1
}

func helperReady() int {
	r := childReport{PID: os.Getpid(), StillDaemon: IsDaemon(), MaxProcs: runtime.GOMAXPROCS(0)}
	r.Sid, _ = unix.Getsid(0)
	r.Cwd, _ = os.Getwd()
	r.Mark = os.Getenv("_GO_DAEMON")
	n, err := os.Stdin.Read(make([]byte, 64))
	r.StdinBytes, r.StdinEOF = n, err == io.EOF
	out, err := exec.Command("env").Output()
	if err != nil {
		Fail("env: " + err.Error())
		return 1
	}
	r.SpawnedEnv = string(out)
	out, _ = exec.Command("sh", "-c", `ls /proc/$$/fd`).Output()
	r.SpawnedFds = strings.Join(strings.Fields(string(out)), " ")
	if err := Init(); err != nil {
		r.SecondInit = err.Error()
	}
	fmt.Fprintln(os.Stderr, "warming up")

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	r.ReportedEarly = Reported()
	b, _ := json.Marshal(r)
	if err := Ready(string(b)); err != nil {
		return 1
	}
	if !Reported() {
		return 6 // the test sees a non-zero exit
	}
	r.ReadyTwiceOK = Ready("again") == nil
	// The parent stopped reading; these must go to /dev/null, not kill us
	// with SIGPIPE.
	for i := 0; i < 100; i++ {
		fmt.Fprintln(os.Stderr, "after ready", i)
		fmt.Println("stdout after ready", i)
	}
	select {
	case <-term:
		if r.ReadyTwiceOK {
			return 4
		}
		return 0
	case <-time.After(2 * time.Minute):
		return 5
	}
}

// startHelper runs the test binary in a plain (non-daemon) helper mode as
// cred (nil: as ourselves) and waits for its first line of output.
func startHelper(t *testing.T, bin string, cred *syscall.Credential, mode string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{helperArg, mode}, args...)...)
	cmd.Env = CleanEnv(os.Environ())
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		return cmd, line
	case <-time.After(20 * time.Second):
		t.Fatalf("helper %s did not answer", mode)
		return nil, ""
	}
}
