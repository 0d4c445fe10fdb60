//go:build !linux

package ccache

import (
	"errors"
	"os"
)

var errNoUnnamed = errors.New("unnamed temporary files are Linux-only")

func openUnnamed(string) (*os.File, error) { return nil, errNoUnnamed }

func linkProcFD(string, string) error { return errNoUnnamed }
