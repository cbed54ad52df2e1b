package smtptest_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/aheadhq/ahead/internal/smtptest"
)

const body = "Subject: hi\r\n\r\nhello\r\n"

// send delivers one message over c and returns the first error.
func send(c *smtp.Client, from string, to ...string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	return w.Close()
}

func dial(t *testing.T, s *smtptest.Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func replyCode(t *testing.T, err error) (int, smtp.EnhancedCode) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want an SMTP reply", err)
	}
	return se.Code, se.EnhancedCode
}

func TestRecordsMessages(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	if s.Host != "127.0.0.1" || s.Port == 0 || !strings.HasSuffix(s.Addr, ":"+strconv.Itoa(s.Port)) {
		t.Errorf("Addr %q Host %q Port %d", s.Addr, s.Host, s.Port)
	}
	c := dial(t, s)
	if err := send(c, "a@example.com", "b@example.com", "c@example.com"); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := s.WaitFor(t, 1, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "a@example.com" || strings.Join(m.To, ",") != "b@example.com,c@example.com" {
		t.Errorf("envelope %q -> %q", m.From, m.To)
	}
	if string(m.Data) != body {
		t.Errorf("data %q, want %q", m.Data, body)
	}

	// Messages returns a copy.
	msgs[0].Data[0] = 'X'
	if got := s.Messages()[0].Data[0]; got != 'S' {
		t.Errorf("Messages shares its data with the caller")
	}

	s.Reset()
	if n := len(s.Messages()); n != 0 {
		t.Errorf("after Reset: %d messages, want 0", n)
	}
}

func TestWaitForLater(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	errc := make(chan error, 1)
	go func() {
		c, err := smtp.Dial(s.Addr)
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		for range 2 {
			if err := send(c, "a@example.com", "b@example.com"); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	if got := len(s.WaitFor(t, 2, 10*time.Second)); got != 2 {
		t.Errorf("WaitFor returned %d messages, want 2", got)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestWaitForTimesOut(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WaitFor(ft, 1, 50*time.Millisecond)
	}()
	<-done
	if !ft.failed {
		t.Error("WaitFor did not fail the test when no message came")
	}
}

// fakeTB records a Fatalf instead of ending the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
}

func TestFailRcptOnce(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	c := dial(t, s)
	s.FailRcpt(550, "5.1.1 no such user")

	err := send(c, "a@example.com", "b@example.com")
	code, enh := replyCode(t, err)
	if code != 550 || enh != (smtp.EnhancedCode{5, 1, 1}) {
		t.Errorf("reply %d %v, want 550 5.1.1", code, enh)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := send(c, "a@example.com", "b@example.com"); err != nil {
		t.Fatalf("second send: %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("got %d messages, want 1", n)
	}
}

func TestFailDataOnce(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	c := dial(t, s)
	s.FailData(451, "try later")

	code, enh := replyCode(t, send(c, "a@example.com", "b@example.com"))
	if code != 451 || enh != (smtp.EnhancedCode{4, 0, 0}) {
		t.Errorf("reply %d %v, want 451 4.0.0", code, enh)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("got %d messages after a failed DATA, want 0", n)
	}
	if err := send(c, "a@example.com", "b@example.com"); err != nil {
		t.Fatalf("second send: %v", err)
	}
}

func TestResetClearsFailures(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	c := dial(t, s)
	s.FailRcpt(550, "no")
	s.FailData(554, "no")
	s.Reset()
	if err := send(c, "a@example.com", "b@example.com"); err != nil {
		t.Fatalf("send after Reset: %v", err)
	}
}

func TestHoldRcpt(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	c := dial(t, s)
	held, release := s.HoldRcpt()
	errc := make(chan error, 1)
	go func() { errc <- send(c, "a@example.com", "b@example.com") }()

	select {
	case <-held:
	case err := <-errc:
		t.Fatalf("send finished while RCPT should be held: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("RCPT was not held")
	}
	select {
	case err := <-errc:
		t.Fatalf("send finished while RCPT is held: %v", err)
	default:
	}
	release()
	release() // safe twice
	if err := <-errc; err != nil {
		t.Fatalf("send after release: %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("got %d messages, want 1", n)
	}
}

func TestHeldAtCleanup(t *testing.T) {
	t.Parallel()
	// A command still held when the test ends must not keep the server
	// from stopping.
	t.Run("inner", func(t *testing.T) {
		s := smtptest.Start(t)
		c, err := smtp.Dial(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		held, _ := s.HoldRcpt()
		go func() { _ = send(c, "a@example.com", "b@example.com") }()
		<-held
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t, smtptest.WithAuth("user", "pass"))

	c := dial(t, s)
	code, _ := replyCode(t, send(c, "a@example.com", "b@example.com"))
	if code != 530 {
		t.Errorf("MAIL without AUTH: %d, want 530", code)
	}

	c = dial(t, s)
	code, _ = replyCode(t, c.Auth(sasl.NewPlainClient("", "user", "wrong")))
	if code != 535 {
		t.Errorf("wrong password: %d, want 535", code)
	}

	c = dial(t, s)
	if err := c.Auth(sasl.NewPlainClient("", "user", "pass")); err != nil {
		t.Fatalf("auth: %v", err)
	}
	if err := send(c, "a@example.com", "b@example.com"); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	t.Run("starttls", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t, smtptest.WithStartTLS())
		c, err := smtp.DialStartTLS(s.Addr, s.ClientTLSConfig())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if _, ok := c.TLSConnectionState(); !ok {
			t.Error("connection is not encrypted")
		}
		if err := send(c, "a@example.com", "b@example.com"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("implicit", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t, smtptest.WithImplicitTLS())
		c, err := smtp.DialTLS(s.Addr, s.ClientTLSConfig())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if err := send(c, "a@example.com", "b@example.com"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		s := smtptest.Start(t, smtptest.WithImplicitTLS())
		if c, err := smtp.DialTLS(s.Addr, nil); err == nil {
			_ = c.Close()
			t.Fatal("dial trusted a throw-away certificate")
		}
	})
	t.Run("plain has no tls config", func(t *testing.T) {
		t.Parallel()
		if cfg := smtptest.Start(t).ClientTLSConfig(); cfg != nil {
			t.Errorf("ClientTLSConfig = %v, want nil", cfg)
		}
	})
}

func TestGreetingDelay(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t, smtptest.WithGreetingDelay(200*time.Millisecond))
	start := time.Now()
	c := dial(t, s)
	if err := send(c, "a@example.test", "b@example.test"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("message sent within %v of connecting, want at least the 200ms before the greeting", waited)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// A message whose client hangs up while the server takes its time after
// the final dot is kept: it had left the client.
func TestDataDelayKeepsMessageOfClientThatLeft(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t, smtptest.WithDataDelay(300*time.Millisecond))
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- w.Close() }()
	time.Sleep(100 * time.Millisecond)
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages before the delay ended, want 0", n)
	}
	_ = c.Close() // the client dies before the reply
	<-closed
	s.WaitFor(t, 1, 2*time.Second)
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("message kept after %v, want at least 300ms", waited)
	}
}
