// A Kafka protocol FAKE for docktor's tests: kfake (github.com/twmb/franz-go/pkg/kfake), the
// in-memory cluster franz-go tests itself against, wrapped in a command. No Kafka broker can be
// installed where docktor's tests run, so the Kafka source is tested against this. It is not
// Kafka: figures are checked against what kafkajs's admin client reads from it, never against
// numbers kfake alone would give.
//
// Usage: kfake -port 0 -partitions 3 [-sasl-mechanism SCRAM-SHA-256 -sasl-user u -sasl-password p]
// Prints "kfake listening on HOST:PORT" once ready; runs until SIGTERM/SIGINT, or until the
// process that started it is gone, so a test process that dies does not leave it behind.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free port)")
	partitions := flag.Int("partitions", 1, "partitions of topics created without a count")
	mechanism := flag.String("sasl-mechanism", "", "enable SASL with this superuser mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	user := flag.String("sasl-user", "", "SASL superuser name")
	password := flag.String("sasl-password", "", "SASL superuser password")
	flag.Parse()

	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.DefaultNumPartitions(*partitions),
	}
	if *mechanism != "" {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(*mechanism, *user, *password))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kfake: %v\n", err)
		os.Exit(1)
	}
	defer cluster.Close()
	fmt.Printf("kfake listening on %s\n", cluster.ListenAddrs()[0])

	done := make(chan struct{}, 2)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-signals; done <- struct{}{} }()
	parent := os.Getppid()
	go func() {
		for os.Getppid() == parent {
			time.Sleep(time.Second)
		}
		done <- struct{}{}
	}()
	<-done
}
