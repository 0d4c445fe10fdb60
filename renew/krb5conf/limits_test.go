package krb5conf

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FanOut writes a configuration whose includes fan out without looping:
// main.conf includes the ten files of level 1, each of which includes the
// ten of level 2, and so on, so that MIT's rules read 10^levels files.
func fanOut(t *testing.T, width, levels int) string {
	files := map[string]string{}
	includes := func(level int) string {
		var b strings.Builder
		for i := range width {
			fmt.Fprintf(&b, "include $DIR/l%d_%d.conf\n", level, i)
		}
		return b.String()
	}
	files["main.conf"] = includes(1) + "[libdefaults]\n default_realm = X.TEST\n"
	for level := 1; level <= levels; level++ {
		body := "[libdefaults]\n ticket_lifetime = 1d\n"
		if level < levels {
			body = includes(level+1) + body
		}
		for i := range width {
			files[fmt.Sprintf("l%d_%d.conf", level, i)] = body
		}
	}
	return filepath.Join(writeConf(t, files), "main.conf")
}

// The case: a fan-out of 10 per level, 10 levels deep, hung
// krenew for 14 seconds (and would have gone on for hours). It must fail
// at once, saying why and where.
func TestIncludeFanOutFailsFast(t *testing.T) {
	main := fanOut(t, 10, 10)
	start := time.Now()
	_, err := Parse([]string{main})
	took := time.Since(start)
	if took > time.Second {
		t.Errorf("Parse took %s", took)
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("includes more than %d files", maxConfFiles)) ||
		!strings.Contains(err.Error(), ".conf would be one more") {
		t.Fatalf("error %v, want the file limit and the file", err)
	}
	// A fan-out within the limits still works, every file read.
	c := mustParse(t, fanOut(t, 3, 3))
	if len(c.Files) != 1+3+9+27 || c.DefaultRealm != "X.TEST" {
		t.Errorf("3x3 fan-out: %d files, realm %q", len(c.Files), c.DefaultRealm)
	}
}

// Files of up to 1 MiB each, but too many of them together.
func TestIncludeTotalSizeLimit(t *testing.T) {
	big := "[libdefaults]\n" + strings.Repeat("# padding padding padding padding\n", (maxConfSize-64)/34)
	files := map[string]string{"main.conf": ""}
	for i := range maxConfTotal/len(big) + 1 {
		files["main.conf"] += fmt.Sprintf("include $DIR/big%d.conf\n", i)
		files[fmt.Sprintf("big%d.conf", i)] = big
	}
	_, err := Parse([]string{filepath.Join(writeConf(t, files), "main.conf")})
	if err == nil || !strings.Contains(err.Error(), "add up to more than 8 MiB (at ") {
		t.Fatalf("error %v, want the total size limit", err)
	}
}
