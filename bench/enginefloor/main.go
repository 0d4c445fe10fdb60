// Command enginefloor is the floor that krenew's own engine sets under
// bench's whole-process and idle figures: it does what a renewal needs,
// with krenew's packages (krb5.conf, the cache, the AS or TGS exchange,
// the atomic write), and none of the command line, the keeper or the
// daemon around it. Built the way the Makefile builds krenew, it is the
// least a Go krenew could cost; bench runs it beside krenew and kstart.
//
//	enginefloor renew CACHE             renew the TGT in CACHE once, exit
//	enginefloor init PRINCIPAL CACHE    password on stdin: a new TGT into CACHE, exit
//	enginefloor idle CACHE MARKER       what an idle daemon must do: read the
//	                                    configuration and the cache, give the
//	                                    start-up garbage back, wait for
//	                                    SIGALRM (printing "ready" first), renew,
//	                                    give the renewal's garbage back, sleep
//	                                    until SIGTERM
//
// Errors go to stderr with exit status 1; bench treats any as a failed run.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/renew"
	"github.com/krenew/krenew/renew/krb5conf"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "enginefloor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: enginefloor renew CACHE | init PRINCIPAL CACHE | idle CACHE MARKER")
	}
	conf, err := krb5conf.Load()
	if err != nil {
		return err
	}
	client := &renew.Client{Conf: conf}
	ctx := context.Background()
	switch args[0] {
	case "renew":
		return renewOnce(ctx, client, ccache.FileStore{Path: args[1]})
	case "init":
		if len(args) < 3 {
			return errors.New("init needs PRINCIPAL CACHE")
		}
		return initial(ctx, client, conf, args[1], ccache.FileStore{Path: args[2]})
	case "idle":
		return idle(ctx, client, ccache.FileStore{Path: args[1]})
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

func renewOnce(ctx context.Context, client *renew.Client, store ccache.FileStore) error {
	c, err := store.Load()
	if err != nil {
		return err
	}
	tgt, ok := c.FindTGT()
	if !ok {
		return fmt.Errorf("no TGT in %s", store.Path)
	}
	renewed, err := client.Renew(ctx, *tgt)
	if err != nil {
		return err
	}
	return store.Update(func(c *ccache.Cache) (*ccache.Cache, error) {
		if c == nil {
			return nil, fmt.Errorf("%s disappeared", store.Path)
		}
		c.PutCredential(renewed)
		return c, nil
	})
}

// initial asks for the lifetimes bench gives kinit and krenew (10h, 7d).
func initial(ctx context.Context, client *renew.Client, conf *krb5conf.Conf, name string, store ccache.FileStore) error {
	line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("reading the password: %w", err)
	}
	password := []byte(strings.TrimSuffix(string(line), "\n"))
	realm, _ := conf.Libdefault("", "default_realm")
	principal, err := renew.ParsePrincipal(name, realm)
	if err != nil {
		return err
	}
	cred, err := client.Initial(ctx, renew.InitialRequest{Principal: principal, Lifetime: 10 * time.Hour, Renewable: 7 * 24 * time.Hour}, password)
	clear(password)
	if err != nil {
		return err
	}
	return store.Update(func(*ccache.Cache) (*ccache.Cache, error) {
		c := &ccache.Cache{Version: 4, DefaultPrincipal: principal}
		c.PutCredential(cred)
		return c, nil
	})
}

// idle mirrors the daemon's life up to bench's idle sample: start-up,
// memory given back, one renewal on SIGALRM, memory given back again.
// Like the daemon (GOMAXPROCS=1 from bench), and with the same two forced
// collections, which leave runtime metadata resident.
func idle(ctx context.Context, client *renew.Client, store ccache.FileStore) error {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGALRM, syscall.SIGTERM)
	if _, err := store.Load(); err != nil {
		return err
	}
	debug.FreeOSMemory()
	// bench waits for this line before it sends SIGALRM, which the Go
	// runtime drops until signal.Notify has run.
	fmt.Println("ready")
	for sig := range signals {
		if sig == syscall.SIGTERM {
			return nil
		}
		if err := renewOnce(ctx, client, store); err != nil {
			return err
		}
		debug.FreeOSMemory()
	}
	return nil
}
