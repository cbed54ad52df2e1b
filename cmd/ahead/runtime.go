package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/callbacks/taskrouter"
	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/email"
	"github.com/aheadhq/ahead/channels/outbox"
	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/channels/webhook"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// node is one running ahead process: API, worker or both.
type node struct {
	cfg    *config.Config
	clock  clock.Clock
	log    *slog.Logger
	rdb    redis.UniversalClient
	store  *store.Store
	worker *tasks.Worker
	// queue is the worker's task queue; its promoter moves due steps in.
	queue   *tasks.Queue
	devMode bool // dev: email, SMS, WhatsApp and webhook go to the outbox; no auth
	// webhook is the webhook channel, nil while the webhook section is empty.
	webhook *webhook.Channel
	// stripe serves POST /v1/sources/stripe; nil while it is off.
	stripe *api.Stripe

	// callbacks are the callback queues: the channel, agent claims and
	// outcomes, and the sweep.
	callbacks *callbacks.Queues
}

// connect opens Redis as the configuration says: a cluster when
// redis.cluster lists nodes, the master the sentinels name when
// redis.sentinel lists sentinels, else redis.url; with redis.username,
// redis.password and redis.tls.
func connect(cfg *config.Config) (redis.UniversalClient, error) {
	r := cfg.Redis
	var roots *x509.CertPool
	if r.TLSCA != "" {
		pem, err := os.ReadFile(r.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("redis.tls_ca: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis.tls_ca: %s holds no PEM certificate", r.TLSCA)
		}
	}
	var tlsConfig *tls.Config
	if r.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	}
	if len(r.Cluster) > 0 {
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: r.Cluster, Username: r.Username, Password: r.Password, TLSConfig: tlsConfig,
		}), nil
	}
	if s := r.Sentinel; len(s.Addrs) > 0 {
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: s.Master, SentinelAddrs: s.Addrs, SentinelPassword: s.Password, DB: s.DB,
			Username: r.Username, Password: r.Password, TLSConfig: tlsConfig,
		}), nil
	}
	opt, err := redis.ParseURL(r.URL)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	if r.Username != "" {
		opt.Username = r.Username
	}
	if r.Password != "" {
		opt.Password = r.Password
	}
	if tlsConfig != nil && opt.TLSConfig == nil {
		host, _, _ := net.SplitHostPort(opt.Addr)
		tlsConfig.ServerName = host
		opt.TLSConfig = tlsConfig
	}
	if opt.TLSConfig != nil && roots != nil {
		opt.TLSConfig.RootCAs = roots // rediss://
	}
	return redis.NewClient(opt), nil
}

// channelsFor builds every channel the configuration enables.
func (n *node) channelsFor() (map[string]channels.Channel, error) {
	chs := map[string]channels.Channel{
		channels.Outbox:   outbox.New(channels.Outbox, n.store, n.clock),
		channels.Callback: callbacks.New(n.store, n.clock),
	}
	if n.callbacks != nil {
		chs[channels.Callback] = n.callbacks.Channel()
	}
	if n.devMode {
		for _, name := range []string{channels.Email, channels.SMS, channels.WhatsApp, channels.Webhook} {
			chs[name] = outbox.New(name, n.store, n.clock)
		}
		return chs, nil
	}
	if n.cfg.SMTP.Host != "" {
		domain := ""
		if u, err := url.Parse(n.cfg.API.PublicURL); err == nil {
			domain = u.Hostname()
		}
		e, err := email.New(email.Config{
			Host: n.cfg.SMTP.Host, Port: n.cfg.SMTP.Port, Username: n.cfg.SMTP.Username,
			Password: n.cfg.SMTP.Password, TLS: n.cfg.SMTP.TLS, From: n.cfg.SMTP.From,
			ReplyTo: n.cfg.SMTP.ReplyTo, Timeout: n.cfg.SMTP.Timeout.Duration(),
			MessageIDDomain: domain, Clock: n.clock,
		})
		if err != nil {
			return nil, err
		}
		chs[channels.Email] = e
	}
	if n.cfg.Webhook.On() {
		wh, err := webhook.New(n.cfg.Webhook.Channel())
		if err != nil {
			return nil, err
		}
		n.webhook = wh
		chs[channels.Webhook] = wh
	}
	if tw := n.cfg.Twilio; tw.AccountSID != "" {
		cfg := twilio.Config{
			AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, APIURL: tw.APIURL,
			SMSFrom: tw.SMSFrom, MessagingServiceSID: tw.MessagingServiceSID, WhatsAppFrom: tw.WhatsAppFrom,
		}
		if n.cfg.API.PublicURL != "" {
			cfg.StatusCallback = n.cfg.API.PublicURL + "/v1/webhooks/twilio/status"
		}
		if tw.MaxPerSecond > 0 {
			cfg.Limiter = twilio.NewRedisLimiter(n.rdb, tw.MaxPerSecond)
		}
		if tw.SMSFrom != "" || tw.MessagingServiceSID != "" {
			sms, err := twilio.NewSMS(cfg)
			if err != nil {
				return nil, err
			}
			chs[channels.SMS] = sms
		}
		if tw.WhatsAppFrom != "" {
			wa, err := twilio.NewWhatsApp(cfg)
			if err != nil {
				return nil, err
			}
			chs[channels.WhatsApp] = wa
		}
	}
	return chs, nil
}

// open connects to Redis and builds the worker state shared by API and worker.
func (n *node) open(ctx context.Context, cat *engine.Catalog) error {
	if n.rdb == nil {
		rdb, err := connect(n.cfg)
		if err != nil {
			return err
		}
		n.rdb = rdb
	}
	n.store = store.New(n.rdb)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.store.Ping(pctx); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	n.queue = tasks.NewQueue(n.rdb, n.clock, n.cfg.Worker.Shards, 0)
	if err := checkMigrated(pctx, n.store, n.queue); err != nil {
		return err
	}
	queues := []string{}
	for q := range tasks.Queues(n.cfg.Worker.Shards) {
		queues = append(queues, q)
	}
	metrics.WatchQueues(n.queue, queues)
	if err := n.openCallbacks(cat); err != nil {
		return err
	}
	chs, err := n.channelsFor()
	if err != nil {
		return err
	}
	n.worker = tasks.NewWorker(engine.New(engine.Options{
		Store: n.store, Queue: n.queue,
		Channels: chs, Clock: n.clock, Log: n.log,
		Timezone: n.cfg.Defaults.Timezone, Locale: n.cfg.Defaults.Locale, Formality: n.cfg.Defaults.Formality,
		LateLimit: n.cfg.Defaults.LateLimit.Duration(), PublicURL: n.cfg.API.PublicURL, SigningKey: []byte(n.cfg.API.SigningKey),
		Forget: n.callbacks.Forget, TombstoneTTL: n.cfg.Privacy.TombstoneTTL.Duration(),
	}, cat))
	return nil
}

// handler returns the API.
func (n *node) handler() http.Handler {
	var authorize func(string, string) bool
	var identify func(string) (httpx.Caller, bool)
	if !n.devMode && !n.cfg.API.InsecureNoAuth {
		authorize = n.cfg.Authorize
		identify = func(tok string) (httpx.Caller, bool) {
			c, ok := n.cfg.Identify(tok)
			return httpx.Caller{Name: c.Name, Agent: c.Agent, Admin: c.Admin}, ok
		}
	}
	return api.New(api.Options{
		Engine: n.worker.Engine, Callbacks: n.callbacks, Clock: n.clock, Log: n.log,
		Authorize: authorize, Identify: identify, MaxBody: n.cfg.API.MaxBodyBytes, SigningKey: []byte(n.cfg.API.SigningKey),
		PublicURL: n.cfg.API.PublicURL, TwilioAuthToken: n.cfg.Twilio.AuthToken, Stripe: n.stripe,
		Ready: func() error { return n.ready(context.Background()) },
	})
}

// runAPI serves the API on addr until ctx ends.
func (n *node) runAPI(ctx context.Context, addr string, ready chan<- string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api.addr: %w", err)
	}
	srv := &http.Server{Handler: n.handler(), ReadHeaderTimeout: 10 * time.Second}
	n.log.Info("api listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// ready reports whether this process can work: Redis answers and flows are loaded.
func (n *node) ready(ctx context.Context) error {
	if n.worker.Catalog() == nil {
		return errors.New("no flows loaded")
	}
	return n.store.Ping(ctx)
}

// serveProbes serves /healthz, /readyz and /metrics on addr until ctx ends.
func (n *node) serveProbes(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker.addr: %w", err)
	}
	srv := &http.Server{Handler: api.Probes(n.ready), ReadHeaderTimeout: 10 * time.Second}
	n.log.Info("probes listening", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runWorker processes tasks until ctx ends.
func (n *node) runWorker(ctx context.Context) error {
	poll := n.cfg.Worker.PollInterval.Duration()
	srv := asynq.NewServerFromRedisClient(n.rdb, asynq.Config{
		Concurrency:              n.cfg.Worker.Concurrency,
		Queues:                   tasks.Queues(n.cfg.Worker.Shards),
		DelayedTaskCheckInterval: poll,
		TaskCheckInterval:        poll,
		ShutdownTimeout:          n.cfg.Worker.ShutdownTimeout.Duration(),
		Logger:                   asynqLogger{n.log},
		LogLevel:                 asynq.WarnLevel,
		RetryDelayFunc:           retryDelay,
	})
	if err := srv.Start(n.worker.Mux()); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	n.log.Info("worker started", "concurrency", n.cfg.Worker.Concurrency, "shards", n.cfg.Worker.Shards)
	// The promoter looks twice per poll interval: a promoted step still
	// waits up to one poll interval for a worker that found its queues
	// empty, so together the lag stays about one and a half intervals.
	go n.queue.RunPromoter(ctx, tasks.StepQueues(n.cfg.Worker.Shards), poll/2, n.log)
	if n.callbacks != nil {
		go n.callbacks.Run(ctx, callbacks.DefaultSweepEvery)
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}

// openCallbacks builds the callback queues on the flows in force. Queues
// with a taskrouter section hand callable callbacks to Twilio TaskRouter
// with the account of the twilio section.
func (n *node) openCallbacks(cat *engine.Catalog) error {
	o := callbacks.Options{
		Store: n.store, Clock: n.clock, Log: n.log,
		Flows: func() *flows.Set {
			if n.worker == nil || n.worker.Catalog() == nil {
				return nil
			}
			return n.worker.Catalog().Flows
		},
		Location: func(p store.Profile) *time.Location { return n.worker.Location(p) },
		Emit:     func(ctx context.Context, ev *flows.Event) error { return n.worker.Raise(ctx, ev) },
		Contacted: func(ctx context.Context, customer, source, id string, at time.Time) error {
			return n.worker.Contacted(ctx, customer, source, id, at)
		},
	}
	var needs []string
	if cat != nil {
		for _, q := range cat.Flows.Queues() {
			if q.TaskRouter != nil {
				needs = append(needs, q.Name)
			}
		}
	}
	if tw := n.cfg.Twilio; tw.AccountSID != "" && !n.devMode {
		base := ""
		if tw.APIURL != "" && tw.APIURL != twilio.DefaultAPIURL {
			base = tw.APIURL
		}
		exp, err := taskrouter.New(taskrouter.Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, BaseURL: base})
		if err != nil {
			return err
		}
		o.Export = exp
	} else if len(needs) > 0 && !n.devMode {
		return fmt.Errorf("twilio.account_sid: required: queues %v of %s hand callbacks to TaskRouter", needs, flows.QueuesFile)
	}
	n.callbacks = callbacks.NewQueues(o)
	return nil
}

// retryDelay backs off exponentially from 10s up to one hour.
func retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := 10 * time.Second
	for i := 0; i < n && d < time.Hour; i++ {
		d *= 2
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d
}

// runAll runs the API and/or the worker until ctx ends or one fails.
func (n *node) runAll(ctx context.Context, withAPI, withWorker bool, addr string, ready chan<- string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	count := 0
	if withWorker {
		count++
		go func() { errc <- n.runWorker(ctx) }()
	}
	if withAPI {
		count++
		go func() { errc <- n.runAPI(ctx, addr, ready) }()
	} else if n.cfg.Worker.Addr != "" {
		count++
		go func() { errc <- n.serveProbes(ctx, n.cfg.Worker.Addr) }()
	}
	var first error
	for i := 0; i < count; i++ {
		err := <-errc
		if err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
		}
		cancel()
	}
	return first
}

// asynqLogger sends asynq's log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
