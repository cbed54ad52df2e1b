package twilio_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
)

// answerCase is a failing answer from Twilio and how Send must classify it.
type answerCase struct {
	name      string
	channel   string // "sms" unless "whatsapp"
	status    int
	body      string
	permanent bool
	code      string // channels.Code of the error
	row       int    // the Classes row it exercises
}

// answerCases are the failures of issue 3's table, each as Twilio's JSON
// error body from an httptest server.
var answerCases = []answerCase{
	{name: "429 with 20429", status: 429, body: twilioError(429, 20429, "Too Many Requests"), code: "20429", row: 20429},
	{name: "429 without code", status: 429, body: `{"message":"Too Many Requests","status":429}`, code: "429", row: twilio.CodeTooMany},
	{name: "500", status: 500, body: twilioError(500, 20500, "Internal Server Error"), code: "20500", row: twilio.Code5xx},
	{name: "503 without JSON", status: 503, body: "<html>Service Unavailable</html>", code: "503", row: twilio.Code5xx},
	{name: "21211", status: 400, body: twilioError(400, 21211, "The 'To' number +31612345678 is not a valid phone number."), permanent: true, code: "21211", row: 21211},
	{name: "21408", status: 400, body: twilioError(400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +31612345678."), permanent: true, code: "21408", row: 21408},
	{name: "21610", status: 400, body: twilioError(400, 21610, "Attempt to send to unsubscribed recipient"), permanent: true, code: "21610", row: 21610},
	{name: "21614", status: 400, body: twilioError(400, 21614, "'To' number is not a valid mobile number"), permanent: true, code: "21614", row: 21614},
	{name: "21635", status: 400, body: twilioError(400, 21635, "'To' number cannot be a Landline"), permanent: true, code: "21635", row: 21635},
	{name: "63016", channel: "whatsapp", status: 400, body: twilioError(400, 63016, "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."), permanent: true, code: "63016", row: 63016},
	{name: "21606 (another 4xx)", status: 400, body: twilioError(400, 21606, "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account."), permanent: true, code: "21606", row: twilio.CodeOther4xx},
	{name: "401 with 20003", status: 401, body: twilioError(401, 20003, "Authenticate"), permanent: true, code: "20003", row: twilio.CodeOther4xx},
	{name: "404 without JSON", status: 404, body: "not found", permanent: true, code: "404", row: twilio.CodeOther4xx},
}

func TestSendClassifiesAnswers(t *testing.T) {
	t.Parallel()
	for _, tt := range answerCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t)
			f.fail(tt.status, tt.body)
			var ch *twilio.Channel
			m := message()
			if tt.channel == "whatsapp" {
				ch = newWhatsApp(t, f.config())
				m.SessionOpen = true
			} else {
				ch = newSMS(t, f.config())
			}
			_, err := ch.Send(t.Context(), m)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, asynq.SkipRetry); got != tt.permanent {
				t.Errorf("errors.Is(err, asynq.SkipRetry) = %v, want %v; err = %v", got, tt.permanent, err)
			}
			if got := channels.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			if got := channels.Code(err); got != tt.code {
				t.Errorf("Code = %q, want %q", got, tt.code)
			}
			var apiErr *twilio.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want it to wrap an *APIError", err)
			}
			if apiErr.Status != tt.status {
				t.Errorf("APIError.Status = %d, want %d", apiErr.Status, tt.status)
			}
			if apiErr.Permanent != tt.permanent {
				t.Errorf("APIError.Permanent = %v, want %v", apiErr.Permanent, tt.permanent)
			}
			for _, c := range twilio.Classes {
				if c.Code == tt.row && apiErr.Meaning != c.Meaning {
					t.Errorf("APIError.Meaning = %q, want row %s's %q", apiErr.Meaning, c.Label(), c.Meaning)
				}
			}
			if strings.Contains(err.Error(), customerTo) {
				t.Errorf("error shows the whole number: %v", err)
			}
			if !strings.Contains(err.Error(), twilio.Mask(customerTo)) {
				t.Errorf("error %q lacks the masked number %s", err, twilio.Mask(customerTo))
			}
		})
	}
}

// TestAnswerCasesCoverTable fails when a row of Classes has no case.
func TestAnswerCasesCoverTable(t *testing.T) {
	t.Parallel()
	covered := map[int]bool{twilio.CodeNoAnswer: true} // TestSendWithoutAnswer
	for _, tt := range answerCases {
		covered[tt.row] = true
	}
	for _, c := range twilio.Classes {
		if !covered[c.Code] {
			t.Errorf("row %s (%s) has no case in answerCases", c.Label(), c.Meaning)
		}
	}
}

// TestSendWithoutAnswer covers failures without an answer from Twilio: all
// transient, without a code.
func TestSendWithoutAnswer(t *testing.T) {
	t.Parallel()
	closedPort := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + l.Addr().String()
		l.Close()
		return url
	}
	// hanging answers once the request's context ends, and says that a
	// request arrived. It reads the body first: only then does the server
	// notice a connection the client closed.
	hanging := func(t *testing.T, arrived chan<- struct{}) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			arrived <- struct{}{}
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name string
		run  func(t *testing.T) error
		want error // errors.Is must hold, when set
	}{
		{"closed port", func(t *testing.T) error {
			cfg := startFake(t).config()
			cfg.APIURL = closedPort(t)
			_, err := newSMS(t, cfg).Send(t.Context(), message())
			return err
		}, nil},
		{"cancelled before", func(t *testing.T) error {
			f := startFake(t)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := newSMS(t, f.config()).Send(ctx, message())
			if n := len(f.requests()); n != 0 {
				t.Errorf("the fake Twilio received %d requests, want none", n)
			}
			return err
		}, context.Canceled},
		{"cancelled during the request", func(t *testing.T) error {
			arrived := make(chan struct{}, 1)
			cfg := startFake(t).config()
			cfg.APIURL = hanging(t, arrived)
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-arrived
				cancel()
			}()
			_, err := newSMS(t, cfg).Send(ctx, message())
			return err
		}, context.Canceled},
		{"deadline during the request", func(t *testing.T) error {
			arrived := make(chan struct{}, 1)
			cfg := startFake(t).config()
			cfg.APIURL = hanging(t, arrived)
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			_, err := newSMS(t, cfg).Send(ctx, message())
			return err
		}, context.DeadlineExceeded},
		{"client timeout", func(t *testing.T) error {
			arrived := make(chan struct{}, 1)
			cfg := startFake(t).config()
			cfg.APIURL = hanging(t, arrived)
			cfg.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
			_, err := newSMS(t, cfg).Send(t.Context(), message())
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() { done <- tt.run(t) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Send did not return")
			}
			if err == nil {
				t.Fatal("Send succeeded, want a transient failure")
			}
			if errors.Is(err, asynq.SkipRetry) {
				t.Errorf("errors.Is(err, asynq.SkipRetry) = true, want false; err = %v", err)
			}
			if code := channels.Code(err); code != "" {
				t.Errorf("Code = %q, want none", code)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.want)
			}
		})
	}
}

// TestSendAcceptedButUnreadable: Twilio took the message but its answer
// cannot be read. A retry would send it twice, so Send reports success.
func TestSendAcceptedButUnreadable(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	f.fail(http.StatusCreated, `{"sid": "SM`)
	r, err := newSMS(t, f.config()).Send(t.Context(), message())
	if err != nil {
		t.Fatalf("Send: %v, want success", err)
	}
	if r.ProviderID != "" {
		t.Errorf("ProviderID = %q, want none", r.ProviderID)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, code int
		permanent    bool
	}{
		{429, 0, false},
		{429, 20429, false},
		{0, 20429, false},
		{500, 0, false},
		{502, 0, false},
		{503, 20503, false},
		{599, 0, false},
		{0, 0, false},
		{400, 21211, true},
		{0, 21211, true},
		{400, 21408, true},
		{400, 21610, true},
		{400, 21614, true},
		{400, 21635, true},
		{400, 63016, true},
		{0, 63016, true},
		{400, 21606, true},
		{403, 0, true},
		{404, 20404, true},
		{422, 0, true},
		{0, 30003, true}, // a status callback's ErrorCode: the message failed
	}
	for _, tt := range tests {
		permanent, meaning := twilio.Classify(tt.status, tt.code)
		if permanent != tt.permanent {
			t.Errorf("Classify(%d, %d) permanent = %v, want %v", tt.status, tt.code, permanent, tt.permanent)
		}
		if meaning == "" {
			t.Errorf("Classify(%d, %d) has no meaning", tt.status, tt.code)
		}
	}
}

func TestClassesHaveOneRowPerCode(t *testing.T) {
	t.Parallel()
	seen := map[int]bool{}
	for _, c := range twilio.Classes {
		if seen[c.Code] {
			t.Errorf("code %d has two rows", c.Code)
		}
		seen[c.Code] = true
		if c.Meaning == "" {
			t.Errorf("row %s has no meaning", c.Label())
		}
	}
}
