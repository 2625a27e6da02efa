// Command gispay is the operators' tool: each subcommand registers itself
// in commands from its own file's init.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// commands maps a subcommand to its function, which takes the arguments
// after its name and returns the exit code.
var commands = map[string]func(args []string) int{}

// stdout and stderr are where subcommands write (tests swap them).
var stdout, stderr io.Writer = os.Stdout, os.Stderr

func main() { os.Exit(run(os.Args[1:])) }

// run dispatches to a subcommand.
func run(args []string) int {
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd(args[1:])
		}
	}
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "usage: gispay <command> [flags]; commands: %v\n", names)
	return 2
}
