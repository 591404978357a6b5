package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultHealthURL is what `shoal healthcheck` checks without --url: the
// liveness probe of a serve on its default port.
const defaultHealthURL = "http://127.0.0.1:8080/healthz"

// healthTimeout bounds the whole check.
const healthTimeout = 3 * time.Second

// runHealthcheck GETs a probe URL and succeeds on a 2xx answer: the
// container image's HEALTHCHECK, which has no curl.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shoal healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", defaultHealthURL, "probe `URL` to GET; 2xx is healthy")
	quiet := fs.Bool("quiet", false, "print nothing when healthy")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("healthcheck: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("healthcheck: --url %q is not an http:// or https:// URL", *target)
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	req.Header.Set("User-Agent", "shoal-healthcheck")
	client := &http.Client{
		// A probe answers itself; a redirect is not healthy.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", u.Redacted(), unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck %s: HTTP %s", u.Redacted(), resp.Status)
	}
	if !*quiet {
		fmt.Fprintf(stdout, "healthy: %s answered %s\n", u.Redacted(), resp.Status)
	}
	return nil
}

// unwrapURLError drops the method and URL that *url.Error repeats.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within %s", healthTimeout)
		}
		return ue.Err
	}
	return err
}
