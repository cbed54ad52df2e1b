package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/aheadhq/ahead/channels"
)

// Query parameters that every message adds to Config.StatusCallback, so
// the status webhook knows which customer, intervention and channel a
// status is about.
const (
	ParamCustomer     = "customer"
	ParamIntervention = "intervention"
	ParamChannel      = "channel"
)

// Channel sends SMS or WhatsApp messages through Twilio. It is safe for
// concurrent use.
type Channel struct {
	name     string
	cfg      Config
	from     string // "+31…", "Acme" or "whatsapp:+31…"; empty with a Messaging Service
	service  string // Messaging Service SID, SMS only
	client   http.Client
	callback *url.URL // nil without Config.StatusCallback
}

// NewSMS returns the "sms" channel for cfg. It sends from the Messaging
// Service when Config.MessagingServiceSID is set, else from Config.SMSFrom.
// Zero fields get their defaults; an invalid setting is an error that names
// it.
func NewSMS(cfg Config) (*Channel, error) {
	cfg = cfg.withDefaults()
	c, err := newChannel(channels.SMS, cfg, cfg.validateSMS())
	if err != nil {
		return nil, err
	}
	if cfg.MessagingServiceSID != "" {
		c.service = cfg.MessagingServiceSID
	} else {
		c.from = cfg.SMSFrom
	}
	return c, nil
}

// NewWhatsApp returns the "whatsapp" channel for cfg. It sends from
// "whatsapp:" + Config.WhatsAppFrom to "whatsapp:" + the message's number.
// Zero fields get their defaults; an invalid setting is an error that names
// it.
func NewWhatsApp(cfg Config) (*Channel, error) {
	cfg = cfg.withDefaults()
	c, err := newChannel(channels.WhatsApp, cfg, cfg.validateWhatsApp())
	if err != nil {
		return nil, err
	}
	c.from = whatsappPrefix + cfg.WhatsAppFrom
	return c, nil
}

// newChannel checks cfg and builds the channel; senderErr is the result of
// checking the channel's own sender settings.
func newChannel(name string, cfg Config, senderErr error) (*Channel, error) {
	api, err := cfg.validate()
	if err := errors.Join(err, senderErr); err != nil {
		return nil, err
	}
	c := &Channel{name: name, cfg: cfg}
	if cfg.HTTPClient != nil {
		c.client = *cfg.HTTPClient
	} else {
		c.client = http.Client{Timeout: DefaultTimeout}
	}
	if c.client.CheckRedirect == nil {
		c.client.CheckRedirect = noRedirect
	}
	next := c.client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.client.Transport = Rewrite(api, next)
	if cfg.StatusCallback != "" {
		// validate has parsed it.
		c.callback, _ = url.Parse(cfg.StatusCallback)
	}
	return c, nil
}

// Name returns "sms" or "whatsapp".
func (c *Channel) Name() string { return c.name }

// Send hands m to Twilio and returns the Twilio message SID (SM… or MM…) as
// the receipt's ProviderID. m.To is an E.164 number; for WhatsApp a
// "whatsapp:" prefix is added (and may already be there).
//
// WhatsApp follows the 24-hour service window that ErrOutsideWindow describes.
// Every message carries the status callback URL when Config.StatusCallback
// is set. When Config.Limiter is set, Send first waits for its turn.
//
// A missing number is a permanent ErrNoContact; a number that is not E.164,
// a message without text (and, for WhatsApp, without template) and a
// WhatsApp message outside the window without template (ErrOutsideWindow)
// are permanent without asking Twilio. Twilio's answers are classified by
// Classes; the error carries Twilio's error code, or the HTTP status when
// the answer has none, and wraps an *APIError. A network failure, a
// timeout and a cancelled ctx are transient. An answer that accepts the
// message but cannot be read is a success with an empty ProviderID, so that
// a retry does not send the message twice.
func (c *Channel) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if m.To == "" {
		return channels.Receipt{}, channels.Permanent(c.name, "", channels.ErrNoContact)
	}
	to := strings.TrimPrefix(strings.TrimSpace(m.To), whatsappPrefix)
	if !e164Pattern.MatchString(to) {
		return channels.Receipt{}, channels.Permanent(c.name, "",
			fmt.Errorf("send message: %s is not an E.164 number like +31612345678", Mask(to)))
	}
	params, err := c.params(m, to)
	if err != nil {
		return channels.Receipt{}, channels.Permanent(c.name, "", err)
	}
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Transient(c.name, "", fmt.Errorf("send message: %w", err))
	}
	if c.cfg.Limiter != nil {
		if err := c.cfg.Limiter.Wait(ctx, c.name); err != nil {
			return channels.Receipt{}, channels.Transient(c.name, "", fmt.Errorf("wait for the send rate limit: %w", err))
		}
	}

	tr := &call{ctx: ctx, next: c.client.Transport}
	if m.Commit != nil {
		tr.commit = m.PointOfNoReturn
	}
	hc := c.client
	hc.Transport = tr
	tc := &client.Client{Credentials: client.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken), HTTPClient: &hc}
	tc.SetAccountSid(c.cfg.AccountSID)
	msg, err := openapi.NewApiServiceWithClient(tc).CreateMessage(params)
	if refused := tr.refusal(); refused != nil {
		return channels.Receipt{}, channels.Transient(c.name, "", fmt.Errorf("send message: stopped before the request body was written: %w", refused))
	}
	if err != nil {
		return c.failed(err, tr.lastStatus(), to)
	}
	var receipt channels.Receipt
	if msg.Sid != nil {
		receipt.ProviderID = *msg.Sid
	}
	return receipt, nil
}

// CallsCommit reports true: Send calls m.PointOfNoReturn right before the
// body of its request to Twilio is written. Until then Twilio has nothing
// it could act on.
func (c *Channel) CallsCommit() bool { return true }

// MaxBody is the longest message text Twilio takes, in characters. A
// longer text is a permanent failure, refused without asking Twilio.
const MaxBody = 1600

// params builds the CreateMessage request for m.
func (c *Channel) params(m *channels.Message, to string) (*openapi.CreateMessageParams, error) {
	p := &openapi.CreateMessageParams{}
	if c.name == channels.WhatsApp {
		p.SetTo(whatsappPrefix + to)
		p.SetFrom(c.from)
		tpl := content(m)
		switch {
		case m.SessionOpen && m.Text != "":
			p.SetBody(m.Text)
		case tpl != nil:
			p.SetContentSid(tpl.SID)
			if len(tpl.Variables) > 0 {
				vars, err := json.Marshal(tpl.Variables)
				if err != nil {
					return nil, fmt.Errorf("encode content variables: %w", err)
				}
				p.SetContentVariables(string(vars))
			}
		case m.SessionOpen:
			return nil, errors.New("send message: no text and no template")
		default:
			return nil, ErrOutsideWindow
		}
	} else {
		p.SetTo(to)
		if c.service != "" {
			p.SetMessagingServiceSid(c.service)
		} else {
			p.SetFrom(c.from)
		}
		if m.Text == "" {
			return nil, errors.New("send message: no text")
		}
		p.SetBody(m.Text)
	}
	if p.Body != nil {
		if n := utf8.RuneCountInString(*p.Body); n > MaxBody {
			return nil, fmt.Errorf("send message: the text has %d characters; Twilio takes at most %d", n, MaxBody)
		}
	}
	if c.callback != nil {
		p.SetStatusCallback(c.callbackURL(m))
	}
	return p, nil
}

// callbackURL is Config.StatusCallback with the query parameters that name
// m's customer, intervention and channel.
func (c *Channel) callbackURL(m *channels.Message) string {
	u := *c.callback
	q := u.Query()
	for k, v := range map[string]string{ParamCustomer: m.CustomerID, ParamIntervention: m.ID, ParamChannel: c.name} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// failed classifies a failed CreateMessage call. status is the HTTP status
// of the last answer, 0 when there was none.
func (c *Channel) failed(err error, status int, to string) (channels.Receipt, error) {
	var rest *client.TwilioRestError
	var apiErr *APIError
	switch {
	case errors.As(err, &rest):
		if rest.Status != 0 {
			status = rest.Status
		}
		apiErr = &APIError{Status: status, Code: rest.Code, Message: scrub(rest.Message), MoreInfo: rest.MoreInfo}
	case status >= 200 && status < 300:
		// Twilio took the message; only its answer could not be read.
		return channels.Receipt{}, nil
	case status >= 400:
		apiErr = &APIError{Status: status, Message: "the answer holds no Twilio error"}
	default:
		return channels.Receipt{}, channels.Transient(c.name, "", fmt.Errorf("send message to %s: %w", Mask(to), err))
	}
	class := classify(apiErr.Status, apiErr.Code)
	apiErr.Meaning, apiErr.Permanent = class.Meaning, class.Permanent
	wrapped := fmt.Errorf("send message to %s: %w", Mask(to), apiErr)
	code := providerCode(apiErr.Status, apiErr.Code)
	if class.Permanent {
		return channels.Receipt{}, channels.Permanent(c.name, code, wrapped)
	}
	return channels.Receipt{}, channels.Transient(c.name, code, wrapped)
}
