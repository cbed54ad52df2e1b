package email_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/email"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/smtptest"
)

var sentAt = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)

// setup starts an SMTP server and returns a channel that sends to it without
// TLS. change, when given, adjusts the configuration first.
func setup(t *testing.T, change ...func(*email.Config)) (*email.Channel, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	cfg := email.Config{
		Host:            srv.Host,
		Port:            srv.Port,
		TLS:             email.TLSNone,
		From:            "Acme <hello@acme.nl>",
		ReplyTo:         "support@acme.nl",
		Timeout:         10 * time.Second,
		MessageIDDomain: "ahead.example.com",
		Clock:           clock.NewFake(sentAt),
	}
	for _, f := range change {
		f(&cfg)
	}
	ch, err := email.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch, srv
}

func message() *channels.Message {
	return &channels.Message{
		ID:          "iv_01JABCDEF",
		CustomerID:  "cus_123",
		Flow:        "first-invoice",
		Step:        "explain",
		Channel:     channels.Email,
		To:          "anna@example.nl",
		Name:        "Anna de Vries-Müller",
		Subject:     "Je eerste factuur – uitleg",
		Text:        "Hoi Anna,\n\nJe eerste factuur komt eraan: € 42,50.\n",
		HTML:        "<p>Hoi Anna,</p><p>Je eerste factuur komt eraan: € 42,50.</p>",
		Unsubscribe: "https://ahead.example.com/v1/unsubscribe/tok_abc?c=email",
	}
}

func parse(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	return msg
}

func decodeHeader(t *testing.T, h mail.Header, key string) string {
	t.Helper()
	v, err := new(mime.WordDecoder).DecodeHeader(h.Get(key))
	if err != nil {
		t.Fatalf("decode %s %q: %v", key, h.Get(key), err)
	}
	return v
}

// crlf turns the line ends of s into CRLF, as they travel in a message.
func crlf(s string) string {
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func TestSendMultipart(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t)
	m := message()

	rc, err := ch.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	const wantID = "<iv_01JABCDEF@ahead.example.com>"
	if rc.ProviderID != wantID {
		t.Errorf("ProviderID = %q, want %q", rc.ProviderID, wantID)
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "hello@acme.nl" || len(got.To) != 1 || got.To[0] != "anna@example.nl" {
		t.Errorf("envelope = %q -> %q, want hello@acme.nl -> [anna@example.nl]", got.From, got.To)
	}

	msg := parse(t, got.Data)
	h := msg.Header
	if v := h.Get("Message-ID"); v != wantID {
		t.Errorf("Message-ID = %q, want %q", v, wantID)
	}
	if v := h.Get("List-Unsubscribe"); v != "<"+m.Unsubscribe+">" {
		t.Errorf("List-Unsubscribe = %q, want <%s>", v, m.Unsubscribe)
	}
	if v := h.Get("List-Unsubscribe-Post"); v != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", v)
	}
	if v := decodeHeader(t, h, "Subject"); v != m.Subject {
		t.Errorf("Subject = %q, want %q", v, m.Subject)
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != "Acme" || from.Address != "hello@acme.nl" {
		t.Errorf("From = %q (%v), want Acme <hello@acme.nl>", h.Get("From"), err)
	}
	replyTo, err := mail.ParseAddress(h.Get("Reply-To"))
	if err != nil || replyTo.Address != "support@acme.nl" {
		t.Errorf("Reply-To = %q (%v), want support@acme.nl", h.Get("Reply-To"), err)
	}
	to, err := mail.ParseAddress(h.Get("To"))
	if err != nil || to.Name != m.Name || to.Address != m.To {
		t.Errorf("To = %q parsed as %v (%v), want %q <%s>", h.Get("To"), to, err, m.Name, m.To)
	}
	if d, err := h.Date(); err != nil || !d.Equal(sentAt) {
		t.Errorf("Date = %q (%v), want %v", h.Get("Date"), err, sentAt)
	}

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	want := []struct{ typ, body string }{
		{"text/plain", crlf(m.Text)},
		{"text/html", m.HTML},
	}
	for i, w := range want {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		typ, params, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil || typ != w.typ || !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("part %d Content-Type = %q (%v), want %s; charset=UTF-8", i, part.Header.Get("Content-Type"), err, w.typ)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part %d: %v", i, err)
		}
		if string(body) != w.body {
			t.Errorf("part %d body = %q, want %q", i, body, w.body)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after two parts: %v, want io.EOF", err)
	}
}

func TestSendTextOnly(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t, func(c *email.Config) { c.ReplyTo = "" })
	m := message()
	m.HTML, m.Unsubscribe, m.Name = "", "", ""

	if _, err := ch.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msg := parse(t, srv.Messages()[0].Data)
	for _, key := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To"} {
		if v := msg.Header.Get(key); v != "" {
			t.Errorf("%s = %q, want none", key, v)
		}
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Name != "" || to.Address != m.To {
		t.Errorf("To = %q (%v), want %s", msg.Header.Get("To"), err, m.To)
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || typ != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Fatalf("Content-Type = %q (%v), want text/plain; charset=UTF-8", msg.Header.Get("Content-Type"), err)
	}
	body, err := io.ReadAll(qpReader(t, msg))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != crlf(m.Text) {
		t.Errorf("body = %q, want %q", body, crlf(m.Text))
	}
}

// qpReader decodes the body of a single-part message.
func qpReader(t *testing.T, msg *mail.Message) io.Reader {
	t.Helper()
	// multipart.Reader decodes quoted-printable; wrap the body as one part.
	const b = "b0undary"
	var buf bytes.Buffer
	buf.WriteString("--" + b + "\r\n")
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding"} {
		if v := msg.Header.Get(k); v != "" {
			buf.WriteString(k + ": " + v + "\r\n")
		}
	}
	buf.WriteString("\r\n")
	if _, err := io.Copy(&buf, msg.Body); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("\r\n--" + b + "--\r\n")
	part, err := multipart.NewReader(&buf, b).NextPart()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return part
}

func TestSendSameIDSameMessageID(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t)
	m := message()
	for range 2 {
		if _, err := ch.Send(t.Context(), m); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages, want 2", len(msgs))
	}
	a, b := parse(t, msgs[0].Data).Header.Get("Message-ID"), parse(t, msgs[1].Data).Header.Get("Message-ID")
	if a != b || a == "" {
		t.Errorf("Message-IDs %q and %q, want equal", a, b)
	}
}

func TestSendMessageIDEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"iv_01.a-b", "<iv_01.a-b@ahead.example.com>"},
		{"cus_1:flow:step", "<cus_1%3Aflow%3Astep@ahead.example.com>"},
		{"a b%", "<a%20b%25@ahead.example.com>"},
		{".a..b.", "<%2Ea.%2Eb%2E@ahead.example.com>"},
	}
	ch, srv := setup(t)
	for _, tt := range tests {
		srv.Reset()
		m := message()
		m.ID = tt.id
		rc, err := ch.Send(t.Context(), m)
		if err != nil {
			t.Fatalf("Send(%q): %v", tt.id, err)
		}
		got := parse(t, srv.Messages()[0].Data).Header.Get("Message-ID")
		if got != tt.want || rc.ProviderID != tt.want {
			t.Errorf("id %q: Message-ID %q, ProviderID %q, want %q", tt.id, got, rc.ProviderID, tt.want)
		}
		if _, err := mail.ParseAddress(strings.Trim(got, "<>")); err != nil {
			t.Errorf("id %q: Message-ID %q is not a valid msg-id: %v", tt.id, got, err)
		}
	}
}

func TestSendHeaderInjection(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t)
	m := message()
	m.Subject = "Hallo\r\nBcc: evil@example.com"
	m.Name = "Anna\r\nBcc: evil@example.com"
	if _, err := ch.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Messages()[0]
	if len(got.To) != 1 {
		t.Errorf("envelope recipients %q, want only %s", got.To, m.To)
	}
	h := parse(t, got.Data).Header
	if v := h.Get("Bcc"); v != "" {
		t.Errorf("Bcc = %q, want none", v)
	}
	if v := decodeHeader(t, h, "Subject"); v != "Hallo  Bcc: evil@example.com" {
		t.Errorf("Subject = %q", v)
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      func(*smtptest.Server, string)
		code      string
		permanent bool
	}{
		{"451 at RCPT", func(s *smtptest.Server, msg string) { s.FailRcpt(451, msg) }, "451", false},
		{"550 at RCPT", func(s *smtptest.Server, msg string) { s.FailRcpt(550, msg) }, "550", true},
		{"452 after DATA", func(s *smtptest.Server, msg string) { s.FailData(452, msg) }, "452", false},
		{"554 after DATA", func(s *smtptest.Server, msg string) { s.FailData(554, msg) }, "554", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch, srv := setup(t)
			m := message()
			// Servers often repeat the address in their reply.
			tt.fail(srv, "<Anna@Example.NL>: rejected")

			_, err := ch.Send(t.Context(), m)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := channels.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tt.permanent {
				t.Errorf("errors.Is(err, asynq.SkipRetry) = %v, want %v", got, tt.permanent)
			}
			if got := channels.Code(err); got != tt.code {
				t.Errorf("Code = %q, want %q (%v)", got, tt.code, err)
			}
			if strings.Contains(strings.ToLower(err.Error()), "anna@example.nl") {
				t.Errorf("error shows the address: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server got %d messages, want 0", n)
			}

			// The failure was for one command only: the retry goes through.
			if _, err := ch.Send(t.Context(), m); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("after retry the server got %d messages, want 1", n)
			}
		})
	}
}

func TestSendServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	ch, _ := setup(t, func(c *email.Config) { c.Port = port })

	_, err = ch.Send(t.Context(), message())
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if channels.IsPermanent(err) {
		t.Errorf("IsPermanent = true, want false: %v", err)
	}
	if code := channels.Code(err); code != "" {
		t.Errorf("Code = %q, want none", code)
	}
}

func TestSendContextCancelled(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := ch.Send(ctx, message())
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if channels.IsPermanent(err) {
		t.Errorf("IsPermanent = true, want false: %v", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, context.Canceled) = false: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want 0", n)
	}
}

// sendAsync runs Send in a goroutine and returns its error on a channel.
func sendAsync(ctx context.Context, ch *email.Channel, m *channels.Message) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := ch.Send(ctx, m)
		done <- err
	}()
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Send did not return within 10s")
		return nil
	}
}

func TestSendCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	// The timeout is long: only the cancellation can end this send in time.
	ch, srv := setup(t, func(c *email.Config) { c.Timeout = time.Hour })
	held, release := srv.HoldRcpt()
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	done := sendAsync(ctx, ch, message())

	select {
	case <-held:
	case err := <-done:
		t.Fatalf("Send returned before RCPT was held: %v", err)
	}
	cancel()
	err := wait(t, done)
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if channels.IsPermanent(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want a transient failure wrapping context.Canceled", err)
	}
	release()
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want 0", n)
	}
}

func TestSendDeadline(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t, func(c *email.Config) { c.Timeout = time.Hour })
	_, release := srv.HoldRcpt()
	defer release()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	err := wait(t, sendAsync(ctx, ch, message()))
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if channels.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a transient failure wrapping context.DeadlineExceeded", err)
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t, func(c *email.Config) { c.Timeout = 200 * time.Millisecond })
	_, release := srv.HoldRcpt()
	defer release()

	err := wait(t, sendAsync(t.Context(), ch, message()))
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	if channels.IsPermanent(err) {
		t.Errorf("IsPermanent = true, want false: %v", err)
	}
	if code := channels.Code(err); code != "" {
		t.Errorf("Code = %q, want none", code)
	}
}

func TestSendNoContact(t *testing.T) {
	t.Parallel()
	ch, srv := setup(t)
	m := message()
	m.To = ""
	_, err := ch.Send(t.Context(), m)
	if !errors.Is(err, channels.ErrNoContact) || !channels.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent ErrNoContact", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want 0", n)
	}
}

func TestSendInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*channels.Message)
	}{
		{"address without @", func(m *channels.Message) { m.To = "anna.example.nl" }},
		{"two addresses", func(m *channels.Message) { m.To = "anna@example.nl, bob@example.nl" }},
		{"no id", func(m *channels.Message) { m.ID = "" }},
		{"relative unsubscribe url", func(m *channels.Message) { m.Unsubscribe = "/v1/unsubscribe/x" }},
		{"unsubscribe url with a line break", func(m *channels.Message) { m.Unsubscribe = "https://a.example/x>\r\nBcc: e@x" }},
	}
	ch, srv := setup(t)
	for _, tt := range tests {
		m := message()
		tt.change(m)
		_, err := ch.Send(t.Context(), m)
		if err == nil || !channels.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent failure", tt.name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages, want 0", n)
	}
}

func TestSendTLSAndAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode string
		opt  smtptest.Option
	}{
		{"starttls mandatory", email.TLSMandatory, smtptest.WithStartTLS()},
		{"starttls opportunistic", email.TLSOpportunistic, smtptest.WithStartTLS()},
		{"implicit", email.TLSImplicit, smtptest.WithImplicitTLS()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opt, smtptest.WithAuth("ahead", "s3cret"))
			ch, err := email.New(email.Config{
				Host: srv.Host, Port: srv.Port, TLS: tt.mode,
				Username: "ahead", Password: "s3cret",
				From: "hello@acme.nl", Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ch.SetTLSConfig(srv.ClientTLSConfig())
			if _, err := ch.Send(t.Context(), message()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("server got %d messages, want 1", n)
			}
		})
	}
}

func TestSendTLSRefused(t *testing.T) {
	t.Parallel()
	t.Run("mandatory without starttls", func(t *testing.T) {
		t.Parallel()
		ch, srv := setup(t, func(c *email.Config) { c.TLS = email.TLSMandatory })
		_, err := ch.Send(t.Context(), message())
		if err == nil || channels.IsPermanent(err) {
			t.Errorf("err = %v, want a transient failure", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server got %d messages, want 0", n)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t, smtptest.WithImplicitTLS())
		ch, err := email.New(email.Config{Host: srv.Host, Port: srv.Port, TLS: email.TLSImplicit, From: "hello@acme.nl"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ch.Send(t.Context(), message())
		if err == nil || channels.IsPermanent(err) {
			t.Errorf("err = %v, want a transient failure", err)
		}
	})
}

func TestSendWrongPassword(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.WithAuth("ahead", "s3cret"))
	ch, err := email.New(email.Config{
		Host: srv.Host, Port: srv.Port, TLS: email.TLSNone,
		Username: "ahead", Password: "wrong", From: "hello@acme.nl",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Send(t.Context(), message())
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	// A login failure is fixed in the settings, not by another channel.
	if channels.IsPermanent(err) {
		t.Errorf("IsPermanent = true, want false: %v", err)
	}
	if code := channels.Code(err); code != "535" {
		t.Errorf("Code = %q, want 535 (%v)", code, err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	ch, _ := setup(t)
	if got := ch.Name(); got != "email" {
		t.Errorf("Name = %q, want email", got)
	}
}
