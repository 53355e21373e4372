// goexec is the Go runtime's start alone: a program that does nothing but
// execve its arguments, built as shim is. bench/run measures it as the
// floor of every Go entrypoint.
package main

import (
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(127)
}
