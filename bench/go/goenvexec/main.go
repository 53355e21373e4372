// goenvexec is the floor of shim's own stack: the Go runtime with envconfig
// linked in (its package init compiles two regexps at every start), doing
// nothing but execve its arguments, built as shim is. Issue 18 measures shim
// against it: what shim adds beyond the runtime and the library its design
// names.
package main

import (
	"os"
	"syscall"

	"github.com/kelseyhightower/envconfig"
)

// keep a real reference, so that no linker ever drops the package and its init
var _ = envconfig.Process

func main() {
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(127)
}
