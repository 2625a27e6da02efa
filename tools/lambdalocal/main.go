// Command lambdalocal serves the Lambda Invoke API on a local address and
// runs the project's real function binaries behind it, each through its
// lambda.Start loop, so a state machine run locally can invoke them:
//
//	go run ./tools/lambdalocal -addr 127.0.0.1:9001 -bin bin upload-trigger reconciler packer sender poller
//
// The functions inherit this process's environment (DATABASE_URL, buckets,
// AWS_ENDPOINT_URL, GIS_ENDPOINT…); their logs go to stderr.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gispayments/gis-payments/internal/lambdalocal"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "listen address")
	bin := flag.String("bin", "bin", "folder with the function binaries")
	procs := flag.Int("max-processes", 10, "processes per function at most")
	timeout := flag.Duration("timeout", 5*time.Minute, "per invocation")
	flag.Parse()
	var fns []lambdalocal.Function
	for _, name := range flag.Args() {
		path := filepath.Join(*bin, name)
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintln(os.Stderr, "lambdalocal:", err)
			os.Exit(1)
		}
		fns = append(fns, lambdalocal.Function{Name: name, Path: path, Timeout: *timeout})
	}
	s := lambdalocal.New(fns...)
	s.MaxProcesses, s.Logs = *procs, os.Stderr
	listening, err := s.Listen(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdalocal:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "lambdalocal: Lambda Invoke API on http://%s for %v\n", listening, flag.Args())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.Close()
}
