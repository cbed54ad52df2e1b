package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// sendEvents runs `ahead events send`: posts each file to POST /v1/events.
func sendEvents(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("ahead events send", flag.ContinueOnError)
	url := fs.String("url", envOr("AHEAD_URL", "http://127.0.0.1:8080"), "ahead API base URL")
	token := fs.String("token", os.Getenv("AHEAD_TOKEN"), "bearer token with the events scope")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: ahead events send [--url URL] [--token TOKEN] FILE...", errUsage)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, f := range fs.Args() {
		var body []byte
		var err error
		if f == "-" {
			body, err = io.ReadAll(stdin)
		} else {
			body, err = os.ReadFile(f)
		}
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/v1/events", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if *token != "" {
			req.Header.Set("Authorization", "Bearer "+*token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("post %s: %w", f, err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(stdout, "%s: %s %s\n", f, resp.Status, bytes.TrimSpace(out))
		if resp.StatusCode >= 300 {
			return fmt.Errorf("post %s: %s", f, resp.Status)
		}
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
