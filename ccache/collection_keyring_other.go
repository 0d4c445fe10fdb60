//go:build !linux

package ccache

import "io/fs"

func listKeyring(n Name) ([]Member, error) {
	return nil, &fs.PathError{Op: "list", Path: "KEYRING:" + n.Residual, Err: errNoKeyrings}
}

func newKeyringUnique(n Name) (Name, error) {
	return Name{}, &fs.PathError{Op: "create", Path: "KEYRING:" + n.Residual, Err: errNoKeyrings}
}

func openFreshKeyring(n Name) (Store, error) { return openKeyring(n) }

func switchKeyring(n Name) error {
	return &fs.PathError{Op: "switch", Path: "KEYRING:" + n.Residual, Err: errNoKeyrings}
}
