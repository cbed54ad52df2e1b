package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// The Twilio side of the webhook tests: the URL Twilio calls and the auth
// token it signs with.
const (
	hookBase  = "https://hooks.ahead.example"
	hookToken = "fedcba9876543210fedcba9876543210"
	hookSID   = "AC0123456789abcdef0123456789abcdef"
)

// hookFlows is a flow folder: an apology over SMS, else email; a notice
// over SMS alone; an update over WhatsApp, else email; and a marketing
// offer over SMS, else email.
var hookFlows = map[string]string{
	"flows.yaml": `flow: late
trigger:
  event: order.delayed
steps:
  - id: apology
    channels: [sms, email]
    template: apology
---
flow: shipped
trigger:
  event: order.shipped
steps:
  - id: notice
    channel: sms
    template: apology
---
flow: chat
trigger:
  event: ticket.updated
steps:
  - id: update
    channels: [whatsapp, email]
    template: update
---
flow: offer
purpose: marketing
trigger:
  event: offer.started
steps:
  - id: offer
    channels: [sms, email]
    template: apology
`,
	"templates/apology.sms.en.tmpl":     "Sorry {{.Customer.Name}}, your order is late.\n",
	"templates/apology.email.en.tmpl":   "Subject: Your order\n\nSorry {{.Customer.Name}}, your order is late.\n",
	"templates/update.whatsapp.en.tmpl": "Hi {{.Customer.Name}}, your ticket was updated.\n",
	"templates/update.email.en.tmpl":    "Subject: Your ticket\n\nHi {{.Customer.Name}}, your ticket was updated.\n",
}

// sender is a channel that takes every message and answers a provider id
// of its own.
type sender struct {
	name string
	mu   sync.Mutex
	sent []*channels.Message
}

func (s *sender) channel() channels.Channel {
	return channels.Func{ChannelName: s.name, SendFunc: func(_ context.Context, m *channels.Message) (channels.Receipt, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sent = append(s.sent, m)
		return channels.Receipt{ProviderID: fmt.Sprintf("%s-%d", s.name, len(s.sent))}, nil
	}}
}

func (s *sender) messages() []*channels.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// twilioAPI plays Twilio's Messages API: it takes every message and keeps
// the posted forms.
type twilioAPI struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func (a *twilioAPI) posted() []url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.forms)
}

// hookEnv is the API with Twilio's webhooks on, and a worker on hookFlows
// whose SMS and email channels are fakes and whose WhatsApp channel is
// Twilio's client talking to a fake Twilio.
type hookEnv struct {
	*env
	sms, email *sender
	twilio     *twilioAPI
}

func setupHooks(t *testing.T) *hookEnv {
	t.Helper()
	dir := t.TempDir()
	for name, text := range hookFlows {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := engine.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := &hookEnv{sms: &sender{name: channels.SMS}, email: &sender{name: channels.Email}, twilio: &twilioAPI{}}
	h.twilio.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.twilio.mu.Lock()
		h.twilio.forms = append(h.twilio.forms, r.PostForm)
		n := len(h.twilio.forms)
		h.twilio.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued"}`, n)
	}))
	t.Cleanup(h.twilio.Close)
	wa, err := twilio.NewWhatsApp(twilio.Config{
		AccountSID: hookSID, AuthToken: hookToken, APIURL: h.twilio.URL, WhatsAppFrom: "+3197010000001",
	})
	if err != nil {
		t.Fatal(err)
	}
	h.env = setupWorker(t, cat, func(o *tasks.Options) {
		o.Channels = map[string]channels.Channel{
			channels.SMS: h.sms.channel(), channels.Email: h.email.channel(), channels.WhatsApp: wa,
		}
	}, func(o *api.Options) {
		o.PublicURL, o.TwilioAuthToken = hookBase, hookToken
	})
	h.worker = h.env.worker
	return h
}

// webhook posts form to path as Twilio does, with the X-Twilio-Signature
// header sig ("" sends none).
func (e *env) webhook(path string, form url.Values, sig string) reply {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{code: res.StatusCode, header: res.Header, body: b}
}

// signed posts form to path signed as Twilio signs it: over the public URL.
func (e *env) signed(path string, form url.Values) reply {
	e.t.Helper()
	return e.webhook(path, form, twilio.Sign(hookToken, hookBase+path, form))
}

// statusPath is the status callback path of a message, as the Twilio
// channels build it.
func statusPath(cus, iv, channel string) string {
	return "/v1/webhooks/twilio/status?" + url.Values{
		twilio.ParamCustomer: {cus}, twilio.ParamIntervention: {iv}, twilio.ParamChannel: {channel},
	}.Encode()
}

func statusForm(sid, status, code string) url.Values {
	f := url.Values{"AccountSid": {hookSID}, "MessageSid": {sid}, "MessageStatus": {status}, "SmsStatus": {status}}
	if code != "" {
		f.Set("ErrorCode", code)
	}
	return f
}

// inboundForm is an inbound message from number ("whatsapp:+31…" for
// WhatsApp).
func inboundForm(sid, from, body string) url.Values {
	return url.Values{"AccountSid": {hookSID}, "MessageSid": {sid}, "From": {from}, "To": {"+3197010000000"}, "Body": {body}, "NumMedia": {"0"}}
}

// event posts an event of typ for cus with a customer block and routes it.
func (h *hookEnv) event(id, typ, cus string, customer map[string]any) {
	h.t.Helper()
	ev := map[string]any{"id": id, "type": typ, "customer_id": cus}
	if customer != nil {
		ev["customer"] = customer
	}
	b, _ := json.Marshal(ev)
	if a, _ := h.post(string(b)); a != 1 {
		h.t.Fatalf("event %s not accepted", id)
	}
	h.route(cus, id)
}

func annaBlock() map[string]any {
	return map[string]any{"name": "Anna", "phone": "+31612345678", "email": "anna@example.nl", "locale": "en"}
}

// sentApology sends the late flow's apology to cus over SMS and returns
// the intervention id and the SMS's provider id.
func (h *hookEnv) sentApology(cus string) (id, sid string) {
	h.t.Helper()
	h.event("evt_late_"+cus, "order.delayed", cus, annaBlock())
	id = engine.InterventionID(cus, "evt_late_"+cus, "late", "apology")
	h.runStep(cus, id)
	iv := h.state(cus, id)
	if iv.State != store.Sent || iv.Channel != channels.SMS {
		h.t.Fatalf("apology %s via %s, want sent via sms", iv.State, iv.Channel)
	}
	return id, iv.ProviderID
}

// entries returns the customer's journal entries of kind, oldest first.
func (e *env) entries(cus, kind string) []store.Entry {
	e.t.Helper()
	all, err := e.store.Timeline(context.Background(), cus, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Entry
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Kind == kind {
			out = append(out, all[i])
		}
	}
	return out
}

func TestTwilioStatusSignature(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	path := statusPath("cus_1", id, channels.SMS)
	form := statusForm(sid, "undelivered", "30003")
	before := h.dump()

	tampered := statusForm(sid, "undelivered", "30005")
	for name, sig := range map[string]string{
		"missing":          "",
		"garbage":          "forged",
		"local URL":        twilio.Sign(hookToken, h.url+path, form),
		"path only":        twilio.Sign(hookToken, path, form),
		"without query":    twilio.Sign(hookToken, hookBase+"/v1/webhooks/twilio/status", form),
		"other token":      twilio.Sign("00000000000000000000000000000000", hookBase+path, form),
		"other form":       twilio.Sign(hookToken, hookBase+path, tampered),
		"other public URL": twilio.Sign(hookToken, "https://other.example"+path, form),
	} {
		if r := h.webhook(path, form, sig); r.code != http.StatusForbidden {
			t.Errorf("%s signature: %s, want 403", name, r)
		}
	}
	// A signature Twilio made for other query parameters does not carry over.
	if r := h.webhook(statusPath("cus_1", id, channels.Email), form, twilio.Sign(hookToken, hookBase+path, form)); r.code != http.StatusForbidden {
		t.Errorf("signature of another URL: %s, want 403", r)
	}
	if after := h.dump(); !equalMaps(after, before) {
		t.Fatalf("a refused callback changed Redis:\nbefore %v\n after %v", before, after)
	}

	if r := h.signed(path, form); r.code != http.StatusNoContent {
		t.Fatalf("signed callback: %s, want 204", r)
	}
	// With the port Twilio may add to the URL it signs.
	if r := h.webhook(path, form, twilio.Sign(hookToken, "https://hooks.ahead.example:443"+path, form)); r.code != http.StatusNoContent {
		t.Fatalf("callback signed with the port: %s, want 204", r)
	}
}

func TestTwilioWebhooksNeedConfiguration(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(*api.Options){
		"no token":      func(o *api.Options) { o.PublicURL = hookBase },
		"no public URL": func(o *api.Options) { o.TwilioAuthToken = hookToken },
	} {
		e := setup(t, edit)
		path := statusPath("cus_1", "iv_1", "sms")
		form := statusForm("SM1", "delivered", "")
		if r := e.webhook(path, form, twilio.Sign(hookToken, hookBase+path, form)); r.code != http.StatusNotFound {
			t.Errorf("%s: status callback %s, want 404", name, r)
		}
		in := inboundForm("SM2", "+31612345678", "STOP")
		if r := e.webhook("/v1/webhooks/twilio/inbound", in, twilio.Sign(hookToken, hookBase+"/v1/webhooks/twilio/inbound", in)); r.code != http.StatusNotFound {
			t.Errorf("%s: inbound %s, want 404", name, r)
		}
	}
}

func TestTwilioStatusJournal(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	path := statusPath("cus_1", id, channels.SMS)
	iv := h.state("cus_1", id)

	// Nothing to say yet: answered, not journaled.
	for _, status := range []string{"queued", "accepted", "sending", "scheduled"} {
		if r := h.signed(path, statusForm(sid, status, "")); r.code != http.StatusNoContent {
			t.Fatalf("%s: %s", status, r)
		}
	}
	if es := h.entries("cus_1", "delivery"); len(es) != 0 {
		t.Fatalf("interim statuses journaled: %+v", es)
	}
	// Each final status once, however often Twilio reports it; the case
	// of the status does not matter.
	for _, status := range []string{"sent", "sent", "Delivered", "delivered", "read", "read"} {
		if r := h.signed(path, statusForm(sid, status, "")); r.code != http.StatusNoContent {
			t.Fatalf("%s: %s", status, r)
		}
	}
	es := h.entries("cus_1", "delivery")
	var states []string
	for _, e := range es {
		states = append(states, e.State)
		if e.Intervention != id || e.Channel != channels.SMS || e.ProviderID != sid || e.Flow != "late" ||
			e.Step != "apology" || e.Run != iv.Run || e.EventID != iv.EventID || e.Code != "" || !e.At.Equal(h.clock.Now()) {
			t.Errorf("delivery entry %+v", e)
		}
	}
	if got := strings.Join(states, " "); got != "sent delivered read" {
		t.Fatalf("delivery states %q, want %q", got, "sent delivered read")
	}
	if cur := h.state("cus_1", id); cur.State != store.Sent || cur.Next != 0 {
		t.Fatalf("delivered message changed the intervention: %+v", cur)
	}
	if ids := h.taskIDs(iv.TaskQueue); len(ids) != 0 {
		t.Fatalf("tasks queued for a delivered message: %v", ids)
	}

	// A callback without the message or its intervention is refused.
	if r := h.signed(path, url.Values{"MessageStatus": {"delivered"}}); r.code != http.StatusBadRequest {
		t.Errorf("callback without MessageSid: %s, want 400", r)
	}
	bare := "/v1/webhooks/twilio/status"
	if r := h.signed(bare, statusForm(sid, "delivered", "")); r.code != http.StatusBadRequest {
		t.Errorf("callback without customer and intervention: %s, want 400", r)
	}
}

func TestTwilioStatusFailedCarriesErrorCode(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"undelivered", "failed"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			h := setupHooks(t)
			id, sid := h.sentApology("cus_1")
			if r := h.signed(statusPath("cus_1", id, channels.SMS), statusForm(sid, status, "30003")); r.code != http.StatusNoContent {
				t.Fatal(r)
			}
			es := h.entries("cus_1", "delivery")
			if len(es) != 1 {
				t.Fatalf("delivery entries %+v, want 1", es)
			}
			if e := es[0]; e.State != status || e.Code != "30003" || e.Cause != "provider" || !strings.Contains(e.Reason, "30003") {
				t.Fatalf("entry %+v, want %s with code 30003 and the code in the reason", e, status)
			}
		})
	}
}

func TestTwilioStatusFallsBackOnce(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	path := statusPath("cus_1", id, channels.SMS)
	queue := h.state("cus_1", id).TaskQueue

	// Twilio reports undelivered twice, then failed, for the same message.
	for _, status := range []string{"undelivered", "undelivered", "failed"} {
		if r := h.signed(path, statusForm(sid, status, "30003")); r.code != http.StatusNoContent {
			t.Fatalf("%s: %s", status, r)
		}
	}
	if ids := h.taskIDs(queue); !slices.Equal(ids, []string{id + "-f1"}) {
		t.Fatalf("tasks %v, want the step's task on its next channel, %s-f1", ids, id)
	}
	iv := h.state("cus_1", id)
	if iv.State != store.Scheduled || iv.Next != 1 || iv.TaskID != id+"-f1" {
		t.Fatalf("intervention %s next %d task %s, want scheduled on email", iv.State, iv.Next, iv.TaskID)
	}
	var fallbacks []store.Entry
	for _, e := range h.entries("cus_1", store.KindIntervention) {
		if e.State == "fallback" {
			fallbacks = append(fallbacks, e)
		}
	}
	if len(fallbacks) != 1 {
		t.Fatalf("fallback entries %+v, want 1", fallbacks)
	}
	if e := fallbacks[0]; e.Intervention != id || e.Channel != channels.SMS || e.Code != "30003" || !strings.Contains(e.Reason, "trying email") {
		t.Fatalf("fallback entry %+v", e)
	}
	var states []string
	for _, e := range h.entries("cus_1", "delivery") {
		states = append(states, e.State)
	}
	if got := strings.Join(states, " "); got != "undelivered failed" {
		t.Fatalf("delivery states %q, want %q", got, "undelivered failed")
	}

	// The worker runs the task: the email goes out. Reports that come
	// after that send nothing again.
	h.runStep("cus_1", id)
	if msgs := h.email.messages(); len(msgs) != 1 || msgs[0].To != "anna@example.nl" {
		t.Fatalf("emails %+v, want one to anna@example.nl", msgs)
	}
	for _, status := range []string{"undelivered", "failed"} {
		if r := h.signed(path, statusForm(sid, status, "30003")); r.code != http.StatusNoContent {
			t.Fatalf("late %s: %s", status, r)
		}
	}
	if ids := h.taskIDs(queue); len(ids) != 0 {
		t.Fatalf("tasks %v after the email went out, want none", ids)
	}
	if iv := h.state("cus_1", id); iv.State != store.Sent || iv.Channel != channels.Email {
		t.Fatalf("intervention %s via %s, want sent via email", iv.State, iv.Channel)
	}
	if n := len(h.sms.messages()); n != 1 {
		t.Fatalf("%d SMS sent, want 1", n)
	}
}

func TestTwilioStatusNoChannelLeft(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	h.event("evt_ship", "order.shipped", "cus_1", annaBlock())
	id := engine.InterventionID("cus_1", "evt_ship", "shipped", "notice")
	h.runStep("cus_1", id)
	iv := h.state("cus_1", id)
	for range 2 {
		if r := h.signed(statusPath("cus_1", id, channels.SMS), statusForm(iv.ProviderID, "failed", "21610")); r.code != http.StatusNoContent {
			t.Fatal(r)
		}
	}
	var undelivered []store.Entry
	for _, e := range h.entries("cus_1", store.KindIntervention) {
		if e.State == "undelivered" {
			undelivered = append(undelivered, e)
		}
	}
	if len(undelivered) != 1 {
		t.Fatalf("undelivered entries %+v, want 1", undelivered)
	}
	if e := undelivered[0]; e.Intervention != id || e.Channel != channels.SMS || e.Code != "21610" || !strings.Contains(e.Reason, "no channel left") {
		t.Fatalf("undelivered entry %+v, want sms, code 21610 and no channel left", e)
	}
	if ids := h.taskIDs(iv.TaskQueue); len(ids) != 0 {
		t.Fatalf("tasks %v, want none", ids)
	}
	if n := len(h.email.messages()); n != 0 {
		t.Fatalf("%d emails sent by a step without email", n)
	}
}

// A report that is not about the message an intervention sent last does
// not move the intervention on.
func TestTwilioStatusOtherMessage(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	other, _ := h.sentApology("cus_2")
	for name, c := range map[string]struct {
		path string
		sid  string
	}{
		"another channel":      {statusPath("cus_1", id, channels.WhatsApp), sid},
		"another message":      {statusPath("cus_1", id, channels.SMS), "SM00000000000000000000000000000099"},
		"another intervention": {statusPath("cus_1", other, channels.SMS), sid},
	} {
		if r := h.signed(c.path, statusForm(c.sid, "undelivered", "30003")); r.code != http.StatusNoContent {
			t.Fatalf("%s: %s", name, r)
		}
	}
	for _, c := range []struct{ cus, id string }{{"cus_1", id}, {"cus_2", other}} {
		iv := h.state(c.cus, c.id)
		if iv.State != store.Sent || iv.Next != 0 {
			t.Errorf("%s: intervention %s next %d, want sent on sms", c.cus, iv.State, iv.Next)
		}
		if ids := h.taskIDs(iv.TaskQueue); len(ids) != 0 {
			t.Errorf("%s: tasks %v, want none", c.cus, ids)
		}
	}
	if n := len(h.email.messages()); n != 0 {
		t.Fatalf("%d emails sent", n)
	}
}

// A report about an intervention that is not stored (the customer was
// erased) is answered and stores nothing, so it cannot bring back what
// was erased.
func TestTwilioStatusAfterErase(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	if r := h.do("DELETE", "/v1/customers/cus_1", "", ""); r.code != http.StatusNoContent {
		t.Fatal(r)
	}
	before := h.dump()
	for _, status := range []string{"delivered", "undelivered", "failed"} {
		if r := h.signed(statusPath("cus_1", id, channels.SMS), statusForm(sid, status, "30003")); r.code != http.StatusNoContent {
			t.Errorf("%s for an erased customer: %s, want 204", status, r)
		}
	}
	if after := h.dump(); !equalMaps(after, before) {
		t.Fatalf("a status for an erased customer stored:\nbefore %v\n after %v", before, after)
	}
}

func TestTwilioInboundSignature(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	h.event("evt_1", "order.shipped", "cus_1", annaBlock())
	before := h.dump()
	const path = "/v1/webhooks/twilio/inbound"
	form := inboundForm("SM1", "+31612345678", "STOP")
	for name, sig := range map[string]string{
		"missing":    "",
		"garbage":    "forged",
		"local URL":  twilio.Sign(hookToken, h.url+path, form),
		"other body": twilio.Sign(hookToken, hookBase+path, inboundForm("SM1", "+31612345678", "hello")),
	} {
		if r := h.webhook(path, form, sig); r.code != http.StatusForbidden {
			t.Errorf("%s signature: %s, want 403", name, r)
		}
	}
	if after := h.dump(); !equalMaps(after, before) {
		t.Fatalf("a refused inbound message changed Redis:\nbefore %v\n after %v", before, after)
	}
}

// inbound posts an inbound message and checks the empty TwiML answer.
func (e *env) inbound(sid, from, body string) {
	e.t.Helper()
	r := e.signed("/v1/webhooks/twilio/inbound", inboundForm(sid, from, body))
	if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/xml") || !strings.Contains(string(r.body), "<Response></Response>") {
		e.t.Fatalf("inbound %q from %s: %s (%s), want 200 with empty TwiML", body, from, r, r.header.Get("Content-Type"))
	}
}

func TestTwilioInboundKeywords(t *testing.T) {
	t.Parallel()
	stop := []string{"STOP", "stop", "stopall", "StopAll", "Unsubscribe", "CANCEL", "cancel", "END", "end", "QUIT", "quit", "AFMELDEN", "afmelden", "  Stop  ", "\tQUIT\n"}
	for _, ch := range []string{channels.SMS, channels.WhatsApp} {
		t.Run(ch, func(t *testing.T) {
			t.Parallel()
			h := setupHooks(t)
			from, other := "+31612345678", channels.WhatsApp
			if ch == channels.WhatsApp {
				from, other = "whatsapp:+31612345678", channels.SMS
			}
			h.event("evt_1", "order.shipped", "cus_1", annaBlock())
			for i, word := range stop {
				// Consent on both channels, then the keyword.
				if r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","phone":"+31612345678","consent":{"sms":"granted","whatsapp":"granted"}}`); r.code != http.StatusOK {
					t.Fatal(r)
				}
				h.clock.Advance(time.Minute)
				h.inbound(fmt.Sprintf("SM%d", i), from, word)
				p, _ := h.store.Profile(context.Background(), "cus_1")
				if p[store.OptOutField(ch)] != h.clock.Now().UTC().Format(time.RFC3339) || p[store.ConsentField(ch)] != "" {
					t.Errorf("%q on %s: profile %v, want %s opted out", word, ch, p, ch)
				}
				if p[store.OptOutField(other)] != "" || p[store.ConsentField(other)] == "" {
					t.Errorf("%q on %s changed %s: %v", word, ch, other, p)
				}
				es := h.entries("cus_1", "inbound")
				if e := es[len(es)-1]; e.State != "opted_out" || e.Cause != "opted_out" || e.Channel != ch || e.ProviderID != fmt.Sprintf("SM%d", i) {
					t.Errorf("%q on %s: entry %+v", word, ch, e)
				}
			}

			// START lifts the opt-out only: marketing consent is not back.
			for i, word := range []string{"START", " start "} {
				h.inbound(fmt.Sprintf("SM_stop%d", i), from, "STOP")
				h.inbound(fmt.Sprintf("SM_start%d", i), from, word)
				p, _ := h.store.Profile(context.Background(), "cus_1")
				if p[store.OptOutField(ch)] != "" || p[store.ConsentField(ch)] != "" {
					t.Errorf("%q on %s: profile %v, want neither opt-out nor consent", word, ch, p)
				}
				es := h.entries("cus_1", "inbound")
				if e := es[len(es)-1]; e.State != "opted_in" || e.Channel != ch {
					t.Errorf("%q: entry %+v", word, e)
				}
			}

			// Other words, a keyword in a sentence among them, change nothing.
			h.inbound("SM_x", from, "STOP")
			want, _ := h.store.Profile(context.Background(), "cus_1")
			for i, body := range []string{"please stop sending me this", "STOP!", "stoppen", "hello", ""} {
				h.inbound(fmt.Sprintf("SM_y%d", i), from, body)
				p, _ := h.store.Profile(context.Background(), "cus_1")
				for _, f := range []string{store.OptOutField(ch), store.ConsentField(ch), store.OptOutField(other), store.ConsentField(other)} {
					if p[f] != want[f] {
						t.Errorf("%q changed %s: %q, was %q", body, f, p[f], want[f])
					}
				}
				es := h.entries("cus_1", "inbound")
				if e := es[len(es)-1]; e.State != "received" || e.Channel != ch || e.Cause != "" {
					t.Errorf("%q: entry %+v, want received", body, e)
				}
			}
		})
	}
}

func TestTwilioInboundJournalsContact(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	h.event("evt_1", "order.shipped", "cus_1", annaBlock())
	first := h.clock.Now().UTC()
	h.inbound("SM_in1", "+31612345678", "Where is my order?")
	h.clock.Advance(time.Hour)
	h.inbound("WA_in1", "whatsapp:+31612345678", "Hello?")
	// Twilio sends a webhook again when the answer was late: the same
	// message is journaled once.
	h.clock.Advance(time.Minute)
	h.inbound("SM_in1", "+31612345678", "Where is my order?")

	es := h.entries("cus_1", "inbound")
	if len(es) != 2 {
		t.Fatalf("inbound entries %+v, want 2", es)
	}
	if e := es[0]; e.Channel != channels.SMS || e.State != "received" || e.ProviderID != "SM_in1" || !e.At.Equal(first) {
		t.Errorf("first entry %+v", e)
	}
	if e := es[1]; e.Channel != channels.WhatsApp || e.State != "received" || e.ProviderID != "WA_in1" || !e.At.Equal(first.Add(time.Hour)) {
		t.Errorf("second entry %+v", e)
	}
	// The message itself is not kept.
	for _, e := range es {
		if strings.Contains(e.Reason, "order") || strings.Contains(e.Reason, "Hello") {
			t.Errorf("entry %+v holds the message text", e)
		}
	}
	p, _ := h.store.Profile(context.Background(), "cus_1")
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }
	for f, want := range map[string]string{
		"last_inbound_at":          stamp(first.Add(time.Hour)),
		"last_inbound_sms_at":      stamp(first),
		"last_inbound_whatsapp_at": stamp(first.Add(time.Hour)),
	} {
		got, err := time.Parse(time.RFC3339Nano, p[f])
		if err != nil || p[f] != want || got.IsZero() {
			t.Errorf("profile %s = %q, want %q", f, p[f], want)
		}
	}
	// A profile update by the producer keeps what ahead learnt.
	if r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","phone":"+31612345678"}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	if p, _ := h.store.Profile(context.Background(), "cus_1"); p["last_inbound_whatsapp_at"] != stamp(first.Add(time.Hour)) {
		t.Errorf("PUT dropped last_inbound_whatsapp_at: %v", p)
	}
}

func TestTwilioInboundUnknownNumber(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	h.event("evt_1", "order.shipped", "cus_1", annaBlock())
	before := h.dump()
	for _, from := range []string{"+31699999999", "whatsapp:+31699999999", "whatsapp:+31612345678x", ""} {
		for _, body := range []string{"STOP", "hello"} {
			h.inbound("SM_u", from, body)
		}
	}
	if after := h.dump(); !equalMaps(after, before) {
		t.Fatalf("a message from an unknown number changed Redis:\nbefore %v\n after %v", before, after)
	}
}

func TestTwilioInboundSharedAndChangedNumbers(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	// A family shares a phone; a third customer has it as WhatsApp number.
	h.event("evt_a", "order.shipped", "cus_a", annaBlock())
	h.event("evt_b", "order.shipped", "cus_b", map[string]any{"name": "Bob", "phone": "+31612345678"})
	h.event("evt_c", "order.shipped", "cus_c", map[string]any{"name": "Carl", "phone": "+31600000003", "whatsapp": "+31612345678"})
	h.inbound("SM_1", "+31612345678", "STOP")
	for _, cus := range []string{"cus_a", "cus_b", "cus_c"} {
		p, _ := h.store.Profile(context.Background(), cus)
		if p[store.OptOutField(channels.SMS)] == "" || p["last_inbound_sms_at"] == "" {
			t.Errorf("%s: profile %v, want the SMS opt-out and the inbound contact", cus, p)
		}
		if es := h.entries(cus, "inbound"); len(es) != 1 || es[0].State != "opted_out" {
			t.Errorf("%s: inbound entries %+v, want one opt-out", cus, es)
		}
	}

	// Bob moves to a new number: a message from the old number is no
	// longer his, and one from the new number is.
	if r := h.do("PUT", "/v1/customers/cus_b", "", `{"name":"Bob","phone":"+31622222222"}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	h.inbound("SM_2", "+31612345678", "START")
	if p, _ := h.store.Profile(context.Background(), "cus_b"); p[store.OptOutField(channels.SMS)] == "" {
		t.Errorf("START from Bob's old number lifted his opt-out: %v", p)
	}
	if es := h.entries("cus_b", "inbound"); len(es) != 1 {
		t.Errorf("Bob's inbound entries %+v, want only the first", es)
	}
	if p, _ := h.store.Profile(context.Background(), "cus_a"); p[store.OptOutField(channels.SMS)] != "" {
		t.Errorf("START did not lift Anna's opt-out: %v", p)
	}
	h.inbound("SM_3", "+31622222222", "START")
	if p, _ := h.store.Profile(context.Background(), "cus_b"); p[store.OptOutField(channels.SMS)] != "" {
		t.Errorf("START from Bob's new number: %v", p)
	}
	// Changing the number through an event works the same way.
	h.event("evt_c2", "order.shipped", "cus_c", map[string]any{"whatsapp": "+31633333333"})
	h.inbound("WA_1", "whatsapp:+31612345678", "STOP")
	if p, _ := h.store.Profile(context.Background(), "cus_c"); p[store.OptOutField(channels.WhatsApp)] != "" {
		t.Errorf("STOP from Carl's old WhatsApp number: %v", p)
	}
}

// A WhatsApp message from the customer opens the 24-hour window: a step
// that could not send free text before now does, until the window closes.
func TestTwilioInboundOpensWhatsAppWindow(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	cust := map[string]any{"name": "Anna", "whatsapp": "+31612345678", "email": "anna@example.nl", "locale": "en"}
	update := func(evt string) *store.Intervention {
		t.Helper()
		h.event(evt, "ticket.updated", "cus_1", cust)
		id := engine.InterventionID("cus_1", evt, "chat", "update")
		h.runStep("cus_1", id)
		return h.state("cus_1", id)
	}

	iv := update("evt_1")
	if iv.State != store.Sent || iv.Channel != channels.Email {
		t.Fatalf("outside the window: %s via %s, want sent via email", iv.State, iv.Channel)
	}
	fb := journal(t, h.env, "cus_1", iv.ID, "fallback")
	if len(fb) != 1 || fb[0].Channel != channels.WhatsApp || !strings.Contains(fb[0].Reason, "outside WhatsApp window") {
		t.Fatalf("fallback entries %+v, want whatsapp outside the window", fb)
	}
	if n := len(h.twilio.posted()); n != 0 {
		t.Fatalf("%d requests to Twilio outside the window", n)
	}

	// An SMS does not open the WhatsApp window.
	h.inbound("SM_1", "+31612345678", "hello")
	if iv := update("evt_2"); iv.Channel != channels.Email {
		t.Fatalf("after an SMS: sent via %s, want email", iv.Channel)
	}

	h.clock.Advance(time.Hour)
	h.inbound("WA_1", "whatsapp:+31612345678", "hello")
	h.clock.Advance(24*time.Hour - time.Second)
	iv = update("evt_3")
	if iv.State != store.Sent || iv.Channel != channels.WhatsApp {
		t.Fatalf("inside the window: %s via %s (%s), want sent via whatsapp", iv.State, iv.Channel, iv.Reason)
	}
	forms := h.twilio.posted()
	if len(forms) != 1 {
		t.Fatalf("%d requests to Twilio, want 1", len(forms))
	}
	if f := forms[0]; f.Get("Body") != "Hi Anna, your ticket was updated." || f.Get("ContentSid") != "" || f.Get("To") != "whatsapp:+31612345678" {
		t.Fatalf("WhatsApp request %v, want free text to whatsapp:+31612345678", f)
	}

	// 24 hours after the customer's message the window is closed again.
	h.clock.Advance(time.Second)
	if iv := update("evt_4"); iv.Channel != channels.Email {
		t.Fatalf("after the window: sent via %s, want email", iv.Channel)
	}
	if n := len(h.twilio.posted()); n != 1 {
		t.Fatalf("%d requests to Twilio, want still 1", n)
	}
	if n := len(h.email.messages()); n != 3 {
		t.Fatalf("%d emails, want 3", n)
	}
}

func TestPutCustomerConsent(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	ctx := context.Background()
	for body, want := range map[string][]string{
		`{"consent":{"fax":"granted"}}`:                   {"consent.fax: unknown channel*"},
		`{"consent":{"sms":"yes"}}`:                       {`consent.sms: unknown value "yes"*`},
		`{"consent":{"sms":"granted","whatsapp":"no"}}`:   {`consent.whatsapp: unknown value "no"*`},
		`{"consent":"granted"}`:                           {"consent: must be an object, got string"},
		`{"consent":{"email":"revoked","sms":"Granted"}}`: {`consent.sms: unknown value "Granted"*`},
	} {
		r := h.do("PUT", "/v1/customers/cus_1", "", body)
		if r.code != http.StatusBadRequest {
			t.Errorf("PUT %s: %s, want 400", body, r)
			continue
		}
		if got := r.problem(t).Errors; !matches(got, want) {
			t.Errorf("PUT %s: errors %q, want %q", body, got, want)
		}
	}
	if keys := h.rdb.Keys(ctx, "ahead:*").Val(); len(keys) != 0 {
		t.Fatalf("rejected PUTs stored %v", keys)
	}

	first := h.clock.Now().UTC()
	r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","phone":"+31612345678","consent":{"sms":"granted","email":"revoked"}}`)
	if r.code != http.StatusOK {
		t.Fatal(r)
	}
	var got map[string]string
	r.json(t, &got)
	want := map[string]string{
		"id": "cus_1", "name": "Anna", "phone": "+31612345678",
		"consent_sms": first.Format(time.RFC3339), "optout_email": first.Format(time.RFC3339),
	}
	if !equalMaps(got, want) {
		t.Fatalf("PUT answered %v, want %v", got, want)
	}
	var states []string
	for _, e := range h.entries("cus_1", store.KindProfile) {
		if e.Channel != "" {
			states = append(states, e.Channel+":"+e.State)
		}
	}
	slices.Sort(states)
	if !slices.Equal(states, []string{"email:consent_revoked", "sms:consent_granted"}) {
		t.Fatalf("profile entries %v, want one per channel", states)
	}

	// A later PUT changes the channels it names and keeps the others.
	h.clock.Advance(time.Hour)
	if r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","consent":{"sms":"revoked","whatsapp":"granted"}}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	p, _ := h.store.Profile(ctx, "cus_1")
	later := first.Add(time.Hour).Format(time.RFC3339)
	if p["optout_sms"] != later || p["consent_sms"] != "" || p["consent_whatsapp"] != later || p["optout_email"] != first.Format(time.RFC3339) {
		t.Fatalf("profile %v after the second PUT", p)
	}
	// The profile's consent reaches flows as the customer's consent.
	if c := engine.ProfileOf("cus_1", p); c.Consent["sms"] != "revoked" || c.Consent["whatsapp"] != "granted" || c.Consent["email"] != "revoked" || len(c.Consent) != 3 {
		t.Fatalf("customer consent %v", c.Consent)
	}
}

func TestEventConsent(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	ctx := context.Background()
	bad := `{"id":"evt_2","type":"order.shipped","customer_id":"cus_1","customer":{"consent":{"sms":"maybe","fax":"granted"}}}`
	good := `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","customer":{"phone":"+31612345678","consent":{"sms":"granted"}}}`
	for body, want := range map[string][]string{
		bad:              {`customer.consent.fax: unknown channel*`, `customer.consent.sms: unknown value "maybe"*`},
		batch(good, bad): {`events[1].customer.consent.fax: unknown channel*`, `events[1].customer.consent.sms: unknown value "maybe"*`},
	} {
		r := h.do("POST", "/v1/events", "", body)
		if r.code != http.StatusBadRequest {
			t.Errorf("POST %s: %s, want 400", body, r)
			continue
		}
		if got := r.problem(t).Errors; !matches(got, want) {
			t.Errorf("POST %s: errors %q, want %q", body, got, want)
		}
	}
	if keys := h.rdb.Keys(ctx, "ahead:*").Val(); len(keys) != 0 {
		t.Fatalf("rejected events stored %v", keys)
	}

	occurred := h.clock.Now().UTC().Add(-time.Hour)
	post := func(id string, at time.Time, consent string) {
		t.Helper()
		body := fmt.Sprintf(`{"id":%q,"type":"order.shipped","customer_id":"cus_1","occurred_at":%q,"customer":{"phone":"+31612345678","consent":%s}}`, id, at.Format(time.RFC3339), consent)
		if a, _ := h.post(body); a != 1 {
			t.Fatalf("event %s not accepted", id)
		}
	}
	post("evt_1", occurred, `{"whatsapp":"granted","sms":"revoked"}`)
	p, _ := h.store.Profile(ctx, "cus_1")
	if p["consent_whatsapp"] != occurred.Format(time.RFC3339) || p["optout_sms"] != occurred.Format(time.RFC3339) {
		t.Fatalf("profile %v, want whatsapp granted and sms revoked at the event's time", p)
	}
	// The customer texts START, then STOP on WhatsApp. An event that
	// occurred before that cannot take it back; a newer one can.
	h.inbound("SM_1", "+31612345678", "START")
	h.inbound("WA_1", "whatsapp:+31612345678", "STOP")
	post("evt_2", occurred.Add(time.Minute), `{"whatsapp":"granted"}`)
	if p, _ := h.store.Profile(ctx, "cus_1"); p["optout_whatsapp"] == "" || p["consent_whatsapp"] != "" {
		t.Fatalf("an event older than the customer's STOP undid it: %v", p)
	}
	h.clock.Advance(time.Minute)
	post("evt_3", h.clock.Now(), `{"whatsapp":"granted"}`)
	if p, _ := h.store.Profile(ctx, "cus_1"); p["optout_whatsapp"] != "" || p["consent_whatsapp"] != h.clock.Now().UTC().Format(time.RFC3339) {
		t.Fatalf("a newer grant was ignored: %v", p)
	}
}

// A consent value of the wrong JSON type is named with its channel, like
// any other bad consent value.
func TestConsentWrongTypeNamesChannel(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	for _, c := range []struct{ path, method, body, want string }{
		{"/v1/customers/cus_1", "PUT", `{"consent":{"sms":true}}`, "consent.sms: must be a string, got bool"},
		{"/v1/events", "POST", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","customer":{"consent":{"sms":1}}}`, "customer.consent.sms: must be a string, got number"},
	} {
		r := h.do(c.method, c.path, "", c.body)
		if got := r.problem(t).Errors; r.code != http.StatusBadRequest || !slices.Equal(got, []string{c.want}) {
			t.Errorf("%s %s: %d %q, want 400 %q", c.method, c.body, r.code, got, c.want)
		}
	}
}

// A marketing flow needs the customer's consent per channel and stops at
// an opt-out; a service flow needs only no opt-out. The consent comes from
// the API and the opt-out from STOP.
func TestConsentReachesSteps(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	run := func(evt, typ, flow, step string) (*store.Intervention, []store.Entry) {
		t.Helper()
		h.clock.Advance(time.Minute)
		h.event(evt, typ, "cus_1", annaBlock())
		id := engine.InterventionID("cus_1", evt, flow, step)
		h.runStep("cus_1", id)
		var es []store.Entry
		for _, e := range h.entries("cus_1", store.KindIntervention) {
			if e.Intervention == id && (e.State == "fallback" || e.State == store.Failed || e.State == store.Skipped) {
				es = append(es, e)
			}
		}
		return h.state("cus_1", id), es
	}
	causes := func(es []store.Entry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.State+":"+e.Channel+":"+e.Cause)
		}
		return strings.Join(out, " ")
	}

	// The service flow needs no consent at all.
	if iv, es := run("evt_s1", "order.delayed", "late", "apology"); iv.State != store.Sent || iv.Channel != channels.SMS || len(es) != 0 {
		t.Fatalf("service step without consent: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}
	iv, es := run("evt_m1", "offer.started", "offer", "offer")
	if iv.State != store.Skipped || causes(es) != "fallback:sms:no_consent skipped::no_consent" {
		t.Fatalf("marketing step without consent: %s (%s), %s", iv.State, iv.Reason, causes(es))
	}
	if !strings.Contains(es[0].Reason, "no marketing consent for sms") {
		t.Errorf("fallback reason %q", es[0].Reason)
	}

	if r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","phone":"+31612345678","email":"anna@example.nl","consent":{"email":"granted"}}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	if iv, es := run("evt_m2", "offer.started", "offer", "offer"); iv.State != store.Sent || iv.Channel != channels.Email || causes(es) != "fallback:sms:no_consent" {
		t.Fatalf("marketing step with email consent: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}
	if r := h.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","phone":"+31612345678","email":"anna@example.nl","consent":{"sms":"granted"}}`); r.code != http.StatusOK {
		t.Fatal(r)
	}
	if iv, es := run("evt_m3", "offer.started", "offer", "offer"); iv.State != store.Sent || iv.Channel != channels.SMS || len(es) != 0 {
		t.Fatalf("marketing step with sms consent: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}

	// STOP by SMS: both flows skip SMS, with the reason.
	h.inbound("SM_stop", "+31612345678", "STOP")
	if iv, es := run("evt_m4", "offer.started", "offer", "offer"); iv.Channel != channels.Email || causes(es) != "fallback:sms:opted_out" {
		t.Fatalf("marketing step after STOP: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}
	if iv, es := run("evt_s2", "order.delayed", "late", "apology"); iv.Channel != channels.Email || causes(es) != "fallback:sms:opted_out" {
		t.Fatalf("service step after STOP: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}
	// START lifts the opt-out, but the marketing consent STOP revoked
	// stays revoked: the service flow may use SMS again, marketing not.
	h.inbound("SM_start", "+31612345678", "START")
	if iv, _ := run("evt_s3", "order.delayed", "late", "apology"); iv.Channel != channels.SMS {
		t.Fatalf("service step after START: via %s, want sms", iv.Channel)
	}
	if iv, es := run("evt_m5", "offer.started", "offer", "offer"); iv.Channel != channels.Email || causes(es) != "fallback:sms:no_consent" {
		t.Fatalf("marketing step after START: %s via %s, %s", iv.State, iv.Channel, causes(es))
	}
}
