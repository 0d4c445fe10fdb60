// Command demo shows krenew's whole life cycle in about a minute against a
// throwaway MIT KDC on 127.0.0.1 (the test suite's own KDC helper), so a
// newcomer can watch it work without a realm: one password, a detached
// daemon, renewals every few seconds, the end of the renewable lifetime.
// Run it with `make demo`.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

func main() {
	bin := flag.String("krenew", "./krenew", "the krenew binary to demonstrate")
	flag.Parse()
	if err := demo(*bin); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const (
	lifetime  = 12 * time.Second
	renewable = 45 * time.Second
)

func demo(bin string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	step("starting a throwaway MIT KDC")
	kdc, _, stop, err := testkdc.StartStandalone(testkdc.Options{})
	if err != nil {
		return fmt.Errorf("%v (install krb5-kdc krb5-admin-server krb5-user)", err)
	}
	defer stop()
	fmt.Printf("    realm %s on 127.0.0.1:%d, principal %s@%s\n", kdc.Realm, kdc.Port, testkdc.Alice, kdc.Realm)
	cache := "FILE:" + filepath.Join(kdc.Dir, "demo.ccache")
	env := append(kdc.Env(), "LC_ALL=C")

	step(fmt.Sprintf("krenew -u alice -l %s -r %s -k %s   (the password goes in once, on stdin here)", short(lifetime), short(renewable), cache))
	out, err := run(env, testkdc.AlicePassword+"\n", bin, "--password-stdin", "-u", "alice",
		"-l", short(lifetime), "-r", short(renewable), "-k", cache)
	fmt.Print(indent(out))
	if err != nil {
		return fmt.Errorf("krenew failed: %v", err)
	}

	step("the shell is back; the daemon renews at half-life. krenew --status every 6s:")
	deadline := time.Now().Add(renewable + 10*time.Second)
	for time.Now().Before(deadline) {
		out, _ := run(env, "", bin, "--status", "-k", cache)
		fmt.Printf("  %s\n", time.Now().Format("15:04:05"))
		fmt.Print(indent(out))
		if strings.Contains(out, "no krenew daemon") {
			break
		}
		time.Sleep(6 * time.Second)
	}

	step("klist (MIT) reads the same cache:")
	out, _ = run(env, "", "klist", "-f", "-c", cache)
	fmt.Print(indent(out))
	step("the renewable lifetime is used up: the daemon has exited by itself, and the ticket lasts until renew-till")
	return nil
}

func run(env []string, stdin, prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func step(s string) { fmt.Printf("\n==> %s\n", s) }

func short(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}
