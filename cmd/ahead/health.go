package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// health runs `ahead health`: a probe for container health checks in images
// without curl. Exit status 0 when URL answers 200.
func health(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ahead health", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "probe URL")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", *url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s", *url, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
