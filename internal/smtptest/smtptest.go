package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To holds the envelope recipients (RCPT TO).
	To []string
	// Data is the message as received after DATA: headers and body.
	Data []byte
}

// Option changes how Start sets up the server.
type Option func(*options)

type options struct {
	tls      tlsMode
	user     string
	password string
	greeting time.Duration // wait before the greeting
	data     time.Duration // wait after a message's final dot before the reply
}

type tlsMode int

const (
	tlsNone tlsMode = iota
	tlsStart
	tlsImplicit
)

// WithStartTLS makes the server offer STARTTLS with a certificate for
// 127.0.0.1 that only ClientTLSConfig trusts.
func WithStartTLS() Option { return func(o *options) { o.tls = tlsStart } }

// WithImplicitTLS makes the server speak TLS from the first byte, as on port
// 465, with a certificate for 127.0.0.1 that only ClientTLSConfig trusts.
func WithImplicitTLS() Option { return func(o *options) { o.tls = tlsImplicit } }

// WithAuth makes the server offer AUTH PLAIN, also without TLS, and refuse
// MAIL FROM with 530 until a client has logged in with username and password.
func WithAuth(username, password string) Option {
	return func(o *options) { o.user, o.password = username, password }
}

// WithGreetingDelay makes the server wait d after a client connects before
// it sends its greeting, as a busy or distant server does: a client spends
// that time before its message can leave.
func WithGreetingDelay(d time.Duration) Option { return func(o *options) { o.greeting = d } }

// WithDataDelay makes the server wait d after the final "." of a message
// before it accepts it and replies, as a server that scans mail does: a
// client spends that time after its message has left. The message is kept
// even when the client hangs up meanwhile.
func WithDataDelay(d time.Duration) Option { return func(o *options) { o.data = d } }

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	// Addr is host:port, Host is "127.0.0.1" and Port the port it listens on.
	Addr string
	Host string
	Port int

	opts      options
	srv       *smtp.Server
	clientTLS *tls.Config
	done      chan struct{}

	mu       sync.Mutex
	msgs     []Message
	arrived  chan struct{} // closed and replaced when a message is accepted
	failRcpt *smtp.SMTPError
	failData *smtp.SMTPError
	hold     *hold // the next RCPT waits until it is released
}

// Start starts a server on a free port of 127.0.0.1. It stops when tb ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{done: make(chan struct{}), arrived: make(chan struct{})}
	for _, o := range opts {
		o(&s.opts)
	}

	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	if s.opts.greeting > 0 {
		ln = &slowListener{Listener: ln, delay: s.opts.greeting}
	}
	if s.opts.tls != tlsNone {
		serverTLS, clientTLS, err := selfSigned()
		if err != nil {
			_ = ln.Close()
			tb.Fatalf("smtptest: make certificate: %v", err)
		}
		s.clientTLS = clientTLS
		if s.opts.tls == tlsStart {
			srv.TLSConfig = serverTLS
		} else {
			ln = tls.NewListener(ln, serverTLS)
		}
	}

	addr := ln.Addr().(*net.TCPAddr)
	s.Addr = addr.String()
	s.Host = addr.IP.String()
	s.Port = addr.Port

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		close(s.done) // release held commands
		_ = srv.Close()
		// Serve may not have registered ln with srv yet.
		_ = ln.Close()
		<-served
	})
	return s
}

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate, or nil when the server does not use TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = Message{
			From: m.From,
			To:   append([]string(nil), m.To...),
			Data: append([]byte(nil), m.Data...),
		}
	}
	return out
}

// WaitFor waits until the server has accepted at least n messages and returns
// them. It fails tb when that has not happened within timeout.
func (s *Server) WaitFor(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.msgs), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-timer.C:
			tb.Fatalf("smtptest: got %d messages within %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// FailRcpt makes the next RCPT TO command fail with code and msg, for
// example FailRcpt(451, "4.7.1 try again later"); msg may start with an
// enhanced status code. Later commands succeed again.
func (s *Server) FailRcpt(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRcpt = replyError(code, msg)
}

// FailData makes the next message fail with code and msg after its data was
// received, for example FailData(554, "5.7.1 message rejected"); msg may
// start with an enhanced status code. Later messages are accepted again.
func (s *Server) FailData(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = replyError(code, msg)
}

// HoldRcpt makes the next RCPT TO command wait for an answer until release
// is called or the server stops, so a client sees a server that stopped
// responding. held is closed once that command has arrived and is waiting.
// Calling release more than once is safe.
func (s *Server) HoldRcpt() (held <-chan struct{}, release func()) {
	h := &hold{arrived: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.hold = h
	s.mu.Unlock()
	var once sync.Once
	return h.arrived, func() { once.Do(func() { close(h.release) }) }
}

type hold struct {
	arrived chan struct{} // closed when a command waits on it
	release chan struct{} // closed to let the command go on
}

// Reset forgets the messages accepted so far and any pending FailRcpt,
// FailData or HoldRcpt. A command already held stays held until released.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = nil
	s.failRcpt, s.failData, s.hold = nil, nil, nil
}

// replyError makes the reply for code and msg. A msg that starts with an
// enhanced status code ("5.1.1 no such user") sends that code; otherwise
// the class of code is sent as X.0.0.
func replyError(code int, msg string) *smtp.SMTPError {
	enhanced := smtp.EnhancedCode{code / 100, 0, 0}
	if first, rest, ok := strings.Cut(msg, " "); ok {
		if ec, ok := parseEnhanced(first); ok {
			enhanced, msg = ec, rest
		}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

func parseEnhanced(s string) (smtp.EnhancedCode, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return smtp.EnhancedCode{}, false
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 999 {
			return smtp.EnhancedCode{}, false
		}
		ec[i] = n
	}
	if ec[0] != 2 && ec[0] != 4 && ec[0] != 5 {
		return smtp.EnhancedCode{}, false
	}
	return ec, true
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.s.opts.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		if username != ss.s.opts.user || password != ss.s.opts.password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.user != "" && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := ss.s
	s.mu.Lock()
	hold, fail := s.hold, s.failRcpt
	s.hold, s.failRcpt = nil, nil
	s.mu.Unlock()
	if hold != nil {
		close(hold.arrived)
		select {
		case <-hold.release:
		case <-s.done:
			return errors.New("server stopped")
		}
	}
	if fail != nil {
		return fail
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	s := ss.s
	if d := s.opts.data; d > 0 {
		select {
		case <-time.After(d):
		case <-s.done:
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fail := s.failData; fail != nil {
		s.failData = nil
		return fail
	}
	s.msgs = append(s.msgs, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data})
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

func (ss *session) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *session) Logout() error { return nil }

// slowListener hands out connections whose first write (the greeting,
// or the TLS handshake of implicit TLS) waits delay.
type slowListener struct {
	net.Listener
	delay time.Duration
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: c, delay: l.delay}, nil
}

type slowConn struct {
	net.Conn
	delay time.Duration
	once  sync.Once
}

func (c *slowConn) Write(p []byte) (int, error) {
	c.once.Do(func() { time.Sleep(c.delay) })
	return c.Conn.Write(p)
}

// selfSigned makes a short-lived certificate for 127.0.0.1 and localhost and
// returns a server configuration using it and a client configuration that
// trusts it.
func selfSigned() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest " + strconv.FormatInt(serial.Int64(), 16)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}
