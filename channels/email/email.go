package email

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/aheadhq/ahead/channels"
)

// authMechanisms are the SMTP AUTH mechanisms tried, strongest first. PLAIN
// and LOGIN refuse to send the password over a connection without TLS unless
// the server is on localhost.
var authMechanisms = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256,
	gomail.SMTPAuthSCRAMSHA1,
	gomail.SMTPAuthCramMD5,
	gomail.SMTPAuthPlain,
	gomail.SMTPAuthLogin,
}

// Channel sends e-mail through one SMTP server. It is safe for concurrent use.
type Channel struct {
	cfg     Config
	from    *mail.Address
	replyTo *mail.Address
	dialer  net.Dialer
	// tlsConfig replaces the default TLS configuration (system roots, TLS
	// 1.2 or later) when set.
	tlsConfig *tls.Config
}

// New returns an e-mail channel for cfg. Zero fields get their defaults; an
// invalid setting is an error that names it.
func New(cfg Config) (*Channel, error) {
	cfg = cfg.withDefaults()
	from, replyTo, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	c := &Channel{cfg: cfg, from: from, replyTo: replyTo}
	if _, err := c.client(nil); err != nil {
		return nil, fmt.Errorf("smtp: set up client: %w", err)
	}
	return c, nil
}

// Name returns "email".
func (c *Channel) Name() string { return channels.Email }

// Send delivers m to m.To. The receipt's ProviderID is the Message-ID,
// "<" + m.ID + "@" + Config.MessageIDDomain + ">".
//
// A missing address is a permanent ErrNoContact; an address that does not
// parse and an SMTP 5xx reply to the message are permanent; an SMTP 4xx
// reply, a network failure, a timeout, a cancelled ctx and a failure to
// connect or log in are transient. Cancelling ctx aborts a send in progress.
// Once the server has accepted the message, Send reports success even when
// hanging up fails afterwards.
func (c *Channel) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if m.To == "" {
		return channels.Receipt{}, channels.Permanent(channels.Email, "", channels.ErrNoContact)
	}
	msg, msgID, err := c.build(m)
	if err != nil {
		return channels.Receipt{}, channels.Permanent(channels.Email, "", err)
	}
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Transient(channels.Email, "", fmt.Errorf("send message: %w", err))
	}

	// Every connection this send opens is closed when ctx ends, so a
	// cancelled or expired ctx interrupts a server that stopped answering.
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(conn net.Conn) error {
		mu.Lock()
		conns = append(conns, conn)
		mu.Unlock()
		return ctx.Err()
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			_ = conn.Close()
		}
	})
	defer func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			_ = conn.Close()
		}
	}()

	client, err := c.client(track)
	if err != nil {
		return channels.Receipt{}, channels.Transient(channels.Email, "", fmt.Errorf("set up client: %w", err))
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return channels.Receipt{}, classify(ctx, err, m.To)
	}
	if err := transact(sc, msg, m); err != nil {
		var stop *stopped
		if errors.As(err, &stop) {
			return channels.Receipt{}, channels.Transient(channels.Email, "", err)
		}
		return channels.Receipt{}, classify(ctx, err, m.To)
	}
	// The server has accepted the message once the data is acknowledged;
	// a failed QUIT after that does not undo the delivery.
	_ = client.CloseWithSMTPClient(sc)
	return channels.Receipt{ProviderID: msgID}, nil
}

// CallsCommit reports true: Send calls m.PointOfNoReturn right before the
// final "." of DATA, after which the server may deliver the message.
func (c *Channel) CallsCommit() bool { return true }

// transact runs the mail transaction of msg on a connected client: MAIL
// FROM, RCPT TO, DATA and the message, then m's point of no return, then
// the final "." that hands the message over. Until that dot the server
// discards the message when the connection ends, so a send stopped
// before it (by a crash, a cancelled ctx or a refused commit) leaves
// nothing behind. After a refused command it says QUIT; inside DATA it
// only hangs up, which the caller does.
func transact(sc *smtp.Client, msg *gomail.Msg, m *channels.Message) error {
	from, err := msg.GetSender(false)
	if err != nil {
		return fmt.Errorf("read sender: %w", err)
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return fmt.Errorf("read recipients: %w", err)
	}
	if err := sc.Mail(from); err != nil {
		_ = sc.Quit()
		return &commandError{cmd: "MAIL FROM", err: err}
	}
	for _, to := range rcpts {
		if err := sc.Rcpt(to); err != nil {
			_ = sc.Quit()
			return &commandError{cmd: "RCPT TO", err: err}
		}
	}
	w, err := sc.Data()
	if err != nil {
		_ = sc.Quit()
		return &commandError{cmd: "DATA", err: err}
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := m.PointOfNoReturn(); err != nil {
		return &stopped{err: err}
	}
	if err := w.Close(); err != nil {
		return &commandError{cmd: "end of DATA", err: err}
	}
	return nil
}

// commandError is a failed command of the mail transaction, with the
// server's reply when there was one.
type commandError struct {
	cmd string
	err error
}

func (e *commandError) Error() string { return e.cmd + ": " + e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// stopped is a send that m.Commit stopped before the final dot: the
// server never got the whole message.
type stopped struct{ err error }

func (e *stopped) Error() string {
	return "send message: stopped before the end of DATA: " + e.err.Error()
}
func (e *stopped) Unwrap() error { return e.err }

// client returns a go-mail client for one send. track, when not nil, is
// told about every connection dialled; an error from it aborts the dial.
func (c *Channel) client(track func(net.Conn) error) (*gomail.Client, error) {
	cfg := c.cfg
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
	}
	switch cfg.TLS {
	case TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		// None, and implicit, where the dialer below does the TLS handshake.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	tlsConfig := c.clientTLS()
	opts = append(opts, gomail.WithTLSConfig(tlsConfig))
	if cfg.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(authMechanisms...),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password),
		)
	}
	implicit := cfg.TLS == TLSImplicit
	opts = append(opts, gomail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := c.dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if track != nil {
			if err := track(conn); err != nil {
				_ = conn.Close()
				return nil, err
			}
		}
		if !implicit {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		return tc, nil
	}))
	return gomail.NewClient(cfg.Host, opts...)
}

func (c *Channel) clientTLS() *tls.Config {
	if c.tlsConfig != nil {
		cfg := c.tlsConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = c.cfg.Host
		}
		return cfg
	}
	return &tls.Config{ServerName: c.cfg.Host, MinVersion: tls.VersionTLS12}
}

// build turns m into an e-mail and returns it with its Message-ID.
func (c *Channel) build(m *channels.Message) (*gomail.Msg, string, error) {
	if m.ID == "" {
		return nil, "", errors.New("build message: message has no id")
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// mail's errors do not repeat the address.
		return nil, "", fmt.Errorf("build message: parse recipient address: %w", err)
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	msg.FromMailAddress(c.from)
	if c.replyTo != nil {
		msg.ReplyToMailAddress(c.replyTo)
	}
	name := m.Name
	if name == "" {
		name = to.Name
	}
	msg.ToMailAddress(&mail.Address{Name: oneLine(name), Address: to.Address})
	if subject := oneLine(m.Subject); foldable(subject) {
		msg.Subject(subject)
	} else {
		msg.SetGenHeaderPreformatted(gomail.HeaderSubject, encodedWords(subject))
	}
	msgID := messageIDLocal(m.ID) + "@" + c.cfg.MessageIDDomain
	msg.SetMessageIDWithValue(msgID)
	msg.SetDateWithValue(c.cfg.Clock.Now())
	if m.Unsubscribe != "" {
		if err := checkUnsubscribe(m.Unsubscribe); err != nil {
			return nil, "", fmt.Errorf("build message: %w", err)
		}
		msg.SetListUnsubscribe(m.Unsubscribe)
		msg.SetListUnsubscribePost()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, "<" + msgID + ">", nil
}

// oneLine replaces control characters, line breaks among them, with spaces
// so that a value cannot start a new header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// maxLine is the longest line RFC 5322 allows in a message: 998 octets
// before the CRLF.
const maxLine = 998

// foldable reports whether go-mail can fold the Subject header s at its
// spaces into lines within maxLine: no word of it, with "Subject: "
// before the first, is longer. go-mail encodes a subject that is not
// ASCII as RFC 2047 encoded words, short ones, so only a long run of
// ASCII without a space can be too long.
func foldable(s string) bool {
	for i, w := range strings.Split(s, " ") {
		n := len(w) + 1 // the space that starts a folded line
		if i == 0 {
			n = len(w) + len("Subject: ")
		}
		if n > maxLine {
			return false
		}
	}
	return true
}

// encodedWords writes s as RFC 2047 encoded words ("=?UTF-8?B?…?="), one
// per folded line, so that a subject of any length stays within the line
// limit and reads back unchanged. Words are cut between characters.
func encodedWords(s string) string {
	const chunk = 45 // bytes of text per word: 60 base64 characters, 72 in all
	var words []string
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 {
			n = min(chunk, len(s))
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, "\r\n ")
}

// checkUnsubscribe accepts an absolute http or https URL that can stand
// between angle brackets in a header.
func checkUnsubscribe(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse unsubscribe url: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("unsubscribe url %q is not an absolute http(s) url", raw)
	}
	if strings.ContainsAny(raw, " <>\"\t\r\n") {
		return fmt.Errorf("unsubscribe url %q has characters that need escaping", raw)
	}
	return nil
}

// messageIDLocal returns id as the left-hand side of a Message-ID: an id of
// letters, digits, RFC 5322 atext symbols and inner single dots stays as it
// is; any other byte is written as %XX, so distinct ids stay distinct.
func messageIDLocal(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		ch := id[i]
		keep := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("!#$&'*+-/=?^_`{|}~", ch) >= 0 ||
			ch == '.' && i > 0 && i < len(id)-1 && id[i-1] != '.'
		if keep {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// classify turns a failed send into a channels error. A 5xx reply to the
// message itself (MAIL FROM, RCPT TO, DATA) is permanent. Everything else is
// transient: 4xx replies, network failures, timeouts, a cancelled ctx, and
// also a 5xx while connecting or logging in (greeting, EHLO, STARTTLS,
// AUTH), since that is a matter of the server settings, which a retry after
// they are fixed cures. The text never contains addr.
func classify(ctx context.Context, err error, addr string) error {
	code, onMessage := replyCode(err)
	text := "send message: " + redact(err.Error(), addr)
	codeText := ""
	if code != 0 {
		codeText = strconv.Itoa(code)
	}
	if code >= 500 && code < 600 && onMessage {
		return channels.Permanent(channels.Email, codeText, &sendError{text: text, errs: []error{err}})
	}
	if ctxErr := ctx.Err(); ctxErr != nil && code == 0 {
		return channels.Transient(channels.Email, "",
			&sendError{text: text + " (" + ctxErr.Error() + ")", errs: []error{ctxErr, err}})
	}
	return channels.Transient(channels.Email, codeText, &sendError{text: text, errs: []error{err}})
}

// replyCode returns the SMTP error reply code in err, or 0 when the server
// did not answer with one, and whether the reply was to a command of the
// message transaction.
func replyCode(err error) (code int, onMessage bool) {
	var ce *commandError
	var te *textproto.Error
	if errors.As(err, &ce) && errors.As(err, &te) && te.Code >= 400 && te.Code < 600 {
		return te.Code, true
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		switch se.Reason {
		case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return se.ErrorCode(), true
		}
		return se.ErrorCode(), false
	}
	if errors.As(err, &te) && te.Code >= 400 && te.Code < 600 {
		return te.Code, false
	}
	return 0, false
}

// sendError carries a failure whose text has the recipient's address masked.
type sendError struct {
	text string
	errs []error
}

func (e *sendError) Error() string   { return e.text }
func (e *sendError) Unwrap() []error { return e.errs }

// redact replaces every occurrence of addr in s, in any letter case, with a
// masked form that keeps the first character and the domain.
func redact(s, addr string) string {
	if addr == "" {
		return s
	}
	targets := []string{addr}
	if a, err := mail.ParseAddress(addr); err == nil && a.Address != addr {
		targets = append(targets, a.Address)
	}
	for _, t := range targets {
		re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(t))
		s = re.ReplaceAllLiteralString(s, mask(t))
	}
	return s
}

// mask hides the local part of an address: "anna@example.nl" becomes
// "a***@example.nl".
func mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	return addr[:1] + "***" + addr[at:]
}
