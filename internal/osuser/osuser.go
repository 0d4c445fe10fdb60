// Package osuser looks up login names the way the C library does, also in
// krenew's static build. Without cgo, os/user reads only /etc/passwd, so a
// user from LDAP, SSSD or NIS would have no name; getent(1) asks NSS
// (nsswitch.conf) as getpwuid would in a dynamically linked program.
package osuser

import (
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

// Name returns the login name of uid: from os/user if it knows it, else
// from `getent passwd uid`. The error is os/user's when neither knows.
func Name(uid int) (string, error) {
	id := strconv.Itoa(uid)
	u, err := user.LookupId(id)
	if err == nil {
		return u.Username, nil
	}
	if name, ok := fromGetent(id); ok {
		return name, nil
	}
	return "", err
}

// fromGetent runs getent, found on PATH like any command (a missing one
// means no NSS lookup), and takes the name from its passwd line.
func fromGetent(id string) (string, bool) {
	out, err := exec.Command("getent", "passwd", id).Output()
	if err != nil {
		return "", false
	}
	return passwdName(string(out), id)
}

// passwdName is the name in getent's first passwd(5) line, if that line
// is for uid id.
func passwdName(out, id string) (string, bool) {
	line, _, _ := strings.Cut(out, "\n")
	f := strings.Split(line, ":")
	if len(f) != 7 || f[0] == "" || f[2] != id {
		return "", false
	}
	return f[0], true
}
