package twilio_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/prismtest"
)

// contract is Twilio's OpenAPI description of the 2010-04-01 API, served
// by Prism in validating mode: a request that breaks it gets a 4xx.
const contract = "twilio_api_v2010.json"

const messagesPath = "/2010-04-01/Accounts/{AccountSid}/Messages.json"

// exampleSIDs returns the message SIDs of the contract's examples for a
// created message: what Prism answers with.
func exampleSIDs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(prismtest.SpecPath(t, contract))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatalf("read %s: %v", contract, err)
	}
	var post struct {
		Responses map[string]struct {
			Content map[string]struct {
				Examples map[string]struct {
					Value struct {
						SID string `json:"sid"`
					} `json:"value"`
				} `json:"examples"`
			} `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(spec.Paths[messagesPath]["post"], &post); err != nil {
		t.Fatalf("read POST %s of %s: %v", messagesPath, contract, err)
	}
	sids := map[string]bool{}
	for _, ex := range post.Responses["201"].Content["application/json"].Examples {
		if ex.Value.SID != "" {
			sids[ex.Value.SID] = true
		}
	}
	if len(sids) == 0 {
		t.Fatalf("%s has no example of a created message", contract)
	}
	return sids
}

// contractConfig sends to Prism at base through rec.
func contractConfig(base string, rec *prismtest.Recorder) twilio.Config {
	return twilio.Config{
		AccountSID:     accountSID,
		AuthToken:      authToken,
		APIURL:         base,
		SMSFrom:        smsFrom,
		WhatsAppFrom:   waFrom,
		StatusCallback: callback,
		HTTPClient:     &http.Client{Transport: rec},
	}
}

// TestContract sends SMS, WhatsApp text and WhatsApp template messages
// through the real twilio-go client to Prism serving Twilio's contract.
// Any request that breaks the contract fails the test.
func TestContract(t *testing.T) {
	t.Parallel()
	base := prismtest.Start(t, contract)
	sids := exampleSIDs(t)
	template := &twilio.WhatsAppContent{
		SID:       "HXb5b62575e6e4ff6129ad7c8efe1f983e",
		Variables: map[string]string{"1": "Anna", "2": "€ 23,95", "3": "30 november"},
	}
	tests := []struct {
		name    string
		service bool
		channel string
		window  func(*channels.Message)
	}{
		{name: "sms from a number", channel: "sms"},
		{name: "sms through a messaging service", channel: "sms", service: true},
		{name: "whatsapp text", channel: "whatsapp", window: func(m *channels.Message) {
			m.Content, m.SessionOpen = template, true
		}},
		{name: "whatsapp template", channel: "whatsapp", window: func(m *channels.Message) {
			m.Content = template
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &prismtest.Recorder{}
			cfg := contractConfig(base, rec)
			if tt.service {
				cfg.MessagingServiceSID = serviceSID
			}
			var ch *twilio.Channel
			if tt.channel == "sms" {
				ch = newSMS(t, cfg)
			} else {
				ch = newWhatsApp(t, cfg)
			}
			m := message()
			if tt.window != nil {
				tt.window(m)
			}
			commits := 0
			m.Commit = func() error { commits++; return nil }
			r, err := ch.Send(t.Context(), m)
			status, body := rec.Last()
			if err != nil {
				t.Fatalf("Send: %v\nPrism answered %d: %s", err, status, body)
			}
			if commits != 1 {
				t.Errorf("the point of no return was marked %d times, want once", commits)
			}
			if status != http.StatusCreated {
				t.Errorf("Prism answered %d, want 201 Created", status)
			}
			if !sids[r.ProviderID] {
				t.Errorf("ProviderID = %q, want the sid of the contract's example answer", r.ProviderID)
			}
		})
	}
}

// TestContractRejectsBrokenRequest proves that Prism enforces the
// contract: a request without the required To is refused with a 4xx, and
// a send that breaks the contract (a malformed ContentSid) fails
// permanently through the real channel.
func TestContractRejectsBrokenRequest(t *testing.T) {
	t.Parallel()
	base := prismtest.Start(t, contract)

	t.Run("raw request without To", func(t *testing.T) {
		t.Parallel()
		form := url.Values{"From": {smsFrom}, "Body": {"hoi"}}
		endpoint := base + strings.Replace(messagesPath, "{AccountSid}", accountSID, 1)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(accountSID, authToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode < 400 || res.StatusCode > 499 {
			t.Fatalf("Prism answered %d to a message without To, want a 4xx: %s", res.StatusCode, body)
		}
		if !strings.Contains(string(body), "To") {
			t.Errorf("Prism's answer does not name the missing To: %s", body)
		}
	})

	t.Run("channel with a malformed ContentSid", func(t *testing.T) {
		t.Parallel()
		rec := &prismtest.Recorder{}
		ch := newWhatsApp(t, contractConfig(base, rec))
		m := message()
		m.Content = &twilio.WhatsAppContent{SID: "HXnot-a-content-sid"}
		_, err := ch.Send(t.Context(), m)
		status, body := rec.Last()
		if err == nil {
			t.Fatalf("Send succeeded, want Prism to refuse the malformed ContentSid; Prism answered %d: %s", status, body)
		}
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("errors.Is(%v, asynq.SkipRetry) = false, want true", err)
		}
		if status < 400 || status > 499 || channels.Code(err) != strconv.Itoa(status) {
			t.Errorf("Prism answered %d, error code %q; want a 4xx and that status as the code", status, channels.Code(err))
		}
		if !strings.Contains(body, "ContentSid") {
			t.Errorf("Prism's answer does not name ContentSid: %s", body)
		}
	})
}
