// Command krenew gets a renewable Kerberos TGT once, with one password
// prompt, and keeps it renewed for as long as the KDC allows, alone, around
// one command, or from a keytab. See krenew(1); the code is in internal/cli.
package main

import "github.com/krenew/krenew/internal/cli"

func main() { cli.Main() }
