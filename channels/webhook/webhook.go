package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aheadhq/ahead/channels"
)

// UserAgent is the User-Agent of every request.
const UserAgent = "ahead-webhook/1"

// Limits on what is read of an answer.
const (
	// maxAnswer is how much of an answer's body is read for the reason of
	// a failure.
	maxAnswer = 4 << 10
	// maxDrain is how much more of an answer is read and thrown away, so
	// the connection can serve the next request.
	maxDrain = 64 << 10
	// maxReason is the longest reason kept from an answer's body, in runes.
	maxReason = 200
	// maxRequestID is the longest X-Request-Id kept as the provider id.
	maxRequestID = 200
)

// Envelope is the body of a request when the rendered text is not a JSON
// object. Empty fields are left out; Channel is always "webhook".
type Envelope struct {
	InterventionID string    `json:"intervention_id,omitempty"`
	Flow           string    `json:"flow,omitempty"`
	Step           string    `json:"step,omitempty"`
	CustomerID     string    `json:"customer_id,omitempty"`
	EventID        string    `json:"event_id,omitempty"`
	Channel        string    `json:"channel"`
	Due            time.Time `json:"due,omitzero"`
	Locale         string    `json:"locale,omitempty"`
	Formality      string    `json:"formality,omitempty"`
	Text           string    `json:"text,omitempty"`
	Subject        string    `json:"subject,omitempty"`
}

// Channel posts each message as signed JSON to a URL. It is safe for
// concurrent use.
type Channel struct {
	url     string
	flows   map[string]string
	secret  []byte
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

// Option changes how New builds the channel.
type Option func(*Channel)

// WithHTTPClient makes the requests with client (its transport, TLS
// settings and proxy) instead of a client on http.DefaultTransport.
// Redirects are never followed, whatever client says.
func WithHTTPClient(client *http.Client) Option {
	return func(c *Channel) {
		if client != nil {
			cp := *client
			c.client = &cp
		}
	}
}

// WithNow sets the clock that stamps signatures; the default is
// time.Now. The receiver compares the stamp with its own clock, so this
// must tell real time, also when ahead runs on a faster virtual clock.
func WithNow(now func() time.Time) Option {
	return func(c *Channel) {
		if now != nil {
			c.now = now
		}
	}
}

// New returns a webhook channel for cfg. Zero fields get their defaults;
// an invalid setting is an error that names it (see Config.Validate).
func New(cfg Config, opts ...Option) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Channel{
		url:     cfg.URL,
		flows:   cfg.Flows,
		secret:  []byte(cfg.Secret),
		timeout: cfg.Timeout,
		client:  &http.Client{},
		now:     time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	c.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// Name returns "webhook".
func (c *Channel) Name() string { return channels.Webhook }

// URL returns the URL that receives flow's messages: the flow's own from
// Config.Flows, else Config.URL; "" when there is none.
func (c *Channel) URL(flow string) string {
	return Config{URL: c.url, Flows: c.flows}.URLFor(flow)
}

// URLFor returns the URL that receives flow's messages: the flow's own
// from Flows, else URL; "" when there is none.
func (cfg Config) URLFor(flow string) string {
	if u, ok := cfg.Flows[flow]; ok {
		return u
	}
	return cfg.URL
}

// Send posts m to the URL of its flow and returns the answer's
// X-Request-Id, when it has one, as the receipt's ProviderID.
//
// The body is m.Text when that is a JSON object (a JSON template), else an
// Envelope. The request carries Content-Type: application/json,
// User-Agent: ahead-webhook/1, Idempotency-Key: m.ID (the same on every
// try of an intervention) and X-Ahead-Signature (see Sign).
//
// m.To, the customer's id, must be set (else a permanent ErrNoContact).
// A 2xx answer is success. Permanent: no URL for the flow, a text that
// starts like a JSON object but is not one, a 3xx answer (redirects are
// not followed) and a 4xx answer other than 408 and 429, with the HTTP
// status as the code. Transient: 408, 429 and 5xx answers (with the
// status as the code), a timeout, a network failure and a cancelled ctx.
// Errors name the URL's host, never its path or query.
func (c *Channel) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	switch {
	case m.To == "":
		return channels.Receipt{}, channels.Permanent(channels.Webhook, "", channels.ErrNoContact)
	case m.ID == "":
		return channels.Receipt{}, channels.Permanent(channels.Webhook, "", errors.New("build request: message has no id"))
	}
	target := c.URL(m.Flow)
	if target == "" {
		return channels.Receipt{}, channels.Permanent(channels.Webhook, "", fmt.Errorf("no webhook URL for flow %q", m.Flow))
	}
	body, err := Body(m)
	if err != nil {
		return channels.Receipt{}, channels.Permanent(channels.Webhook, "", err)
	}
	host := hostOf(target)
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Transient(channels.Webhook, "", fmt.Errorf("post to %s: %w", host, err))
	}

	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return channels.Receipt{}, channels.Permanent(channels.Webhook, "", fmt.Errorf("build request to %s: %w", host, unwrapURL(err)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Idempotency-Key", m.ID)
	req.Header.Set(SignatureHeader, Sign(c.secret, c.now(), body))

	res, err := c.client.Do(req)
	if err != nil {
		err = unwrapURL(err)
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v: %w", c.timeout, err)
		}
		return channels.Receipt{}, channels.Transient(channels.Webhook, "", fmt.Errorf("post to %s: %w", host, err))
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxDrain))

	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return channels.Receipt{ProviderID: clip(strings.TrimSpace(res.Header.Get("X-Request-Id")), maxRequestID)}, nil
	}
	return channels.Receipt{}, classify(host, res.StatusCode, answer)
}

// Body returns the request body for m: m.Text, compacted, when it is a JSON
// object, else the Envelope of m as JSON. A text that starts with '{' but
// is not valid JSON is an error: it is a broken JSON template.
func Body(m *channels.Message) ([]byte, error) {
	text := bytes.TrimSpace([]byte(m.Text))
	if len(text) > 0 && text[0] == '{' {
		var b bytes.Buffer
		if err := json.Compact(&b, text); err != nil {
			return nil, fmt.Errorf("build body: the text starts with '{' but is not a JSON object: %w", err)
		}
		return b.Bytes(), nil
	}
	env := Envelope{
		InterventionID: m.ID, Flow: m.Flow, Step: m.Step, CustomerID: m.CustomerID, EventID: m.EventID,
		Channel: channels.Webhook, Locale: m.Locale, Formality: m.Formality, Text: m.Text, Subject: m.Subject,
	}
	if !m.Due.IsZero() {
		env.Due = m.Due.UTC()
	}
	return json.Marshal(env)
}

// classify turns an answer that is not 2xx into a channel error with the
// status as its code.
func classify(host string, status int, answer []byte) error {
	reason := fmt.Sprintf("%s answered HTTP %d %s", host, status, http.StatusText(status))
	if s := summary(answer); s != "" {
		reason += ": " + s
	}
	code := strconv.Itoa(status)
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return channels.Transient(channels.Webhook, code, errors.New(reason))
	}
	return channels.Permanent(channels.Webhook, code, errors.New(reason))
}

// summary returns the start of an answer's body on one line, for the
// reason of a failure.
func summary(answer []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(answer), "?")), " ")
	return clip(s, maxReason)
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// hostOf returns the host of a URL, for messages that must not show the
// path or query.
func hostOf(target string) string {
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		return u.Host
	}
	return "the webhook URL"
}

// unwrapURL drops the *url.Error around a client error: its message shows
// the whole URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
