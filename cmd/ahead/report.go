package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/synthetic"
	"github.com/aheadhq/ahead/stats"
)

const reportUsage = "ahead report FLOW [--url URL] [--token TOKEN] [--effect 0.02] [--period ID] [--json]\n" +
	"       ahead report --synthetic [--entrants N] [--holdout 10%] [--control-rate 0.25] [--treat-rate 0.10] [--seed N] [--redis URL] [--json]"

// report runs `ahead report`: a flow's measured effect, from the API, or
// a synthetic run that must recover a known effect.
func report(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ahead report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("AHEAD_URL", "http://127.0.0.1:8080"), "ahead API base URL")
	token := fs.String("token", os.Getenv("AHEAD_TOKEN"), "bearer token with the admin scope")
	effect := fs.Float64("effect", 0, "difference in goal rate to plan for, such as 0.02: how many more entrants it takes to detect it")
	period := fs.String("period", "", "report period id (default: the current one)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	syn := fs.Bool("synthetic", false, "run synthetic entrants with a known effect through the API and engine and report it")
	entrants := fs.Int("entrants", 20000, "synthetic: customers entering the flow")
	holdout := fs.String("holdout", "10%", "synthetic: the flow's holdout")
	controlRate := fs.Float64("control-rate", 0.25, "synthetic: true inbound-contact rate in the holdout")
	treatRate := fs.Float64("treat-rate", 0.10, "synthetic: true inbound-contact rate of contacted customers")
	seed := fs.Uint64("seed", 1, "synthetic: seed of the random contacts")
	redisURL := fs.String("redis", "", "synthetic: an empty Redis database to use (default: an embedded one)")
	// Flags may come after the flow's name.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s", errUsage, reportUsage)
	}
	if *syn {
		if name != "" {
			return fmt.Errorf("%w: --synthetic takes no flow: %s", errUsage, reportUsage)
		}
		return reportSynthetic(ctx, synthetic.Options{
			Entrants: *entrants, Holdout: *holdout, ControlRate: *controlRate, TreatRate: *treatRate,
			Seed: *seed, Effect: *effect,
		}, *redisURL, *asJSON, stdout, stderr)
	}
	if name == "" {
		return fmt.Errorf("%w: %s", errUsage, reportUsage)
	}
	q := url.Values{}
	if *effect != 0 {
		q.Set("effect", fmt.Sprint(*effect))
	}
	if *period != "" {
		q.Set("period", *period)
	}
	u := strings.TrimRight(*base, "/") + "/v1/reports/flows/" + url.PathEscape(name)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("get report: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("get report: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get report: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var rep engine.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return fmt.Errorf("decode report: %w", err)
	}
	return printReport(stdout, &rep)
}

// reportSynthetic runs synthetic entrants on redisURL (or an embedded
// Redis) and prints their report. It fails when the 95% interval misses
// the true difference or includes zero while there is one.
func reportSynthetic(ctx context.Context, o synthetic.Options, redisURL string, asJSON bool, stdout, stderr io.Writer) error {
	if redisURL != "" {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		o.Redis = redis.NewClient(opt)
	} else {
		mr, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("start embedded redis: %w", err)
		}
		defer mr.Close()
		o.Redis = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	}
	defer o.Redis.Close()
	o.Progress = stderr
	res, err := synthetic.Run(ctx, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.Report); err != nil {
			return err
		}
	} else {
		c := res.Report.Closed
		fmt.Fprintf(stdout, "synthetic run: %d entrants in %s; true inbound rate %s in the holdout, %s when contacted (seed %d)\n",
			c.Treat.N+c.Control.N, res.Elapsed.Round(time.Millisecond), pctOf(o.ControlRate), pctOf(o.TreatRate), o.Seed)
		fmt.Fprintf(stdout, "drawn: %d of %d contacted customers and %d of %d held out made an inbound contact\n\n",
			res.Contacts["treatment"], res.Entrants["treatment"], res.Contacts["control"], res.Entrants["control"])
		if err := printReport(stdout, res.Report); err != nil {
			return err
		}
	}
	truth := o.TreatRate - o.ControlRate
	if o.TreatRate == 0 && o.ControlRate == 0 {
		truth = -0.15
	}
	d := res.Report.Closed.Diff
	switch {
	case d == nil:
		return fmt.Errorf("synthetic run: no interval for the difference")
	case truth < d.Lo || truth > d.Hi:
		return fmt.Errorf("synthetic run: the 95%% interval %+.2f to %+.2f points misses the true difference %+.2f", d.Lo*100, d.Hi*100, truth*100)
	case truth != 0 && d.Verdict() == stats.ContainsZero:
		return fmt.Errorf("synthetic run: the 95%% interval %+.2f to %+.2f points includes zero; the true difference is %+.2f", d.Lo*100, d.Hi*100, truth*100)
	}
	fmt.Fprintf(stderr, "recovered: the 95%% interval contains the true difference %+.1f points\n", truth*100)
	return nil
}

// printReport prints a report as text.
func printReport(w io.Writer, r *engine.Report) error {
	fmt.Fprintf(w, "flow %s\n", r.Flow)
	fmt.Fprintf(w, "goal: %s\n", r.Goal)
	since := "no entrants yet"
	if r.Period.Since != nil {
		since = "since " + r.Period.Since.UTC().Format(time.RFC3339)
	}
	state := "current"
	if !r.Period.Current {
		state = "earlier"
	}
	fmt.Fprintf(w, "holdout %s, salt %q; period %s (%s, %s)\n", pctOf(r.Holdout), r.Period.Salt, r.Period.ID, state, since)
	for _, p := range r.Earlier {
		s := ""
		if p.Since != nil {
			s = ", since " + p.Since.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  other period %s: holdout %s, salt %q, goal %s%s\n", p.ID, pctOf(p.Holdout), p.Salt, p.Goal, s)
	}
	fmt.Fprintf(w, "as of %s\n", r.AsOf.UTC().Format(time.RFC3339))
	parts := []struct {
		title string
		p     *engine.ReportPart
	}{{"runs whose goal window has closed", &r.Closed}, {"runs whose goal window is still open", &r.Open}}
	for _, part := range parts {
		title := part.title
		if part.p.WindowsCloseBy != nil {
			title += ", all closed by " + part.p.WindowsCloseBy.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(w, "\n%s\n", title)
		if err := printPart(w, r, part.p); err != nil {
			return err
		}
	}
	return nil
}

// printPart prints the comparison of one set of runs.
func printPart(w io.Writer, r *engine.Report, p *engine.ReportPart) error {
	if p.Treat.N+p.Control.N == 0 {
		fmt.Fprintf(w, "  %s\n", p.Summary)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tentrants\treached goal\trate")
	fmt.Fprintf(tw, "  contacted\t%d\t%d\t%s\n", p.Treat.N, p.Treat.Hits, rateOf(p.Treat.Rate))
	fmt.Fprintf(tw, "  holdout\t%d\t%d\t%s\n", p.Control.N, p.Control.Hits, rateOf(p.Control.Rate))
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	conf := fmt.Sprintf("%g%%", p.Conf*100)
	if d := p.Diff; d != nil {
		fmt.Fprintf(tw, "  difference, contacted − holdout\t%+.1f points, %s CI %+.1f to %+.1f (Newcombe)\n", d.Est*100, conf, d.Lo*100, d.Hi*100)
	}
	if d := p.Rel; d != nil {
		fmt.Fprintf(tw, "  relative difference\t%+.0f%%, %s CI %+.0f%% to %+.0f%%\n", d.Est*100, conf, d.Lo*100, d.Hi*100)
	}
	if c := p.Count; c != nil {
		fmt.Fprintf(tw, "  %s per entrant\t%.3f contacted, %.3f holdout; difference %+.3f, %s CI %+.3f to %+.3f\n",
			r.Unit, c.Treat, c.Control, c.Diff.Est, conf, c.Diff.Lo, c.Diff.Hi)
	}
	if a := p.Avoided; a != nil && p.Count == nil {
		fmt.Fprintf(tw, "  avoided per 1,000 entrants\t%.0f, %s CI %.0f to %.0f\n", a.Est, conf, a.Lo, a.Hi)
	}
	if c := p.Count; c != nil {
		fmt.Fprintf(tw, "  %s avoided per 1,000 entrants\t%.0f, %s CI %.0f to %.0f\n", r.Unit, c.Avoided.Est, conf, c.Avoided.Lo, c.Avoided.Hi)
	}
	if a := p.ContactsAvoided; a != nil {
		fmt.Fprintf(tw, "  avoided in total\t%.0f, %s CI %.0f to %.0f\n", a.Est, conf, a.Lo, a.Hi)
	}
	seq, verdict := p.Seq, p.Verdict
	unit := "points"
	scale := 100.0
	if c := p.Count; c != nil {
		seq, verdict, unit, scale = &c.Seq, c.Verdict, r.Unit+" per entrant", 1
	}
	if seq != nil {
		fmt.Fprintf(tw, "  always-valid interval\t%+.*f to %+.*f %s: %s\n", prec(scale), seq.Lo*scale, prec(scale), seq.Hi*scale, unit, strings.ReplaceAll(string(verdict), "_", " "))
	}
	if s := p.SRM; s != nil {
		alert := "no alert"
		if s.Alert {
			alert = "ALERT: sample-ratio mismatch"
		}
		fmt.Fprintf(tw, "  sample ratio\t%.2f%% in the holdout, configured %s; chi² %.2f, p = %.3g, %s\n", s.Observed*100, pctOf(s.Expected), s.Chi2, s.P, alert)
	}
	if p.MDE != nil {
		fmt.Fprintf(tw, "  detectable now (80%% power)\t%.1f points\n", *p.MDE*100)
	}
	if n := p.Needed; n != nil && r.Effect > 0 {
		fmt.Fprintf(tw, "  still needed for %.1f points\t%d entrants (%d contacted, %d held out)\n", r.Effect*100, n.Total, n.Treat, n.Control)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n  %s\n", p.Summary)
	if p.AlwaysValid != "" {
		fmt.Fprintf(w, "  %s\n", p.AlwaysValid)
	}
	return nil
}

func prec(scale float64) int {
	if scale == 1 {
		return 3
	}
	return 1
}

func rateOf(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func pctOf(x float64) string { return fmt.Sprintf("%g%%", x*100) }
