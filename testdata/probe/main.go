// Command probe is what the end-to-end tests run under shim. It reports the
// process it finds itself in (PID, credentials, HOME, arguments,
// environment), one quoted item a line, then does what its arguments say:
//
//	probe [exit N] [touch FILE] [kill]
//
// It is built static, so it also runs in a chroot without libraries.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	groups, _ := os.Getgroups()
	fmt.Printf("pid %d\nuid %d\ngid %d\ngroups %v\n", os.Getpid(), os.Getuid(), os.Getgid(), groups)
	for _, a := range os.Args {
		fmt.Printf("arg %q\n", a)
	}
	for _, kv := range os.Environ() {
		fmt.Printf("env %q\n", kv)
	}
	args := os.Args[1:]
	for len(args) > 0 {
		switch args[0] {
		case "exit":
			code, _ := strconv.Atoi(args[1])
			os.Exit(code)
		case "touch":
			os.WriteFile(args[1], nil, 0o644)
			args = args[1:]
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			select {}
		}
		args = args[1:]
	}
}
