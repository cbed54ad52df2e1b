package taskrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/taskrouter/v1"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// MaxTimeout is the longest a TaskRouter Task may wait to be assigned.
const MaxTimeout = 14 * 24 * time.Hour

// Config holds the Twilio account that owns the workspaces.
type Config struct {
	// AccountSID (AC…) and AuthToken authenticate every request: the
	// twilio section of ahead.yaml.
	AccountSID, AuthToken string
	// BaseURL, when set, receives every request instead of
	// https://taskrouter.twilio.com, e.g. a proxy or a contract mock.
	BaseURL string
	// HTTPClient makes the requests; nil means one with a 10s timeout.
	HTTPClient *http.Client
}

var (
	taskRe = regexp.MustCompile(`^WT[0-9a-fA-F]{32}$`)
)

// Client creates and cancels TaskRouter Tasks. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   http.Client
}

// New returns a Client for cfg. An invalid setting is an error that names
// its key in ahead.yaml.
func New(cfg Config) (*Client, error) {
	var errs []error
	for _, p := range twilio.CheckAccount(cfg.AccountSID, cfg.AuthToken) {
		errs = append(errs, p)
	}
	c := &Client{cfg: cfg}
	if cfg.BaseURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("twilio.api_url: %q is not an http(s) URL", cfg.BaseURL))
		}
		c.base = u
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.HTTPClient != nil {
		c.hc = *cfg.HTTPClient
	} else {
		c.hc = http.Client{Timeout: 10 * time.Second}
	}
	if c.hc.CheckRedirect == nil {
		c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c, nil
}

// api returns the TaskRouter API for one call under ctx.
func (c *Client) api(ctx context.Context) *openapi.ApiService {
	hc := c.hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	if c.base != nil {
		next = twilio.Rewrite(c.base, next)
	}
	hc.Transport = &withContext{ctx: ctx, next: next}
	tc := &client.Client{Credentials: client.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken), HTTPClient: &hc}
	tc.SetAccountSid(c.cfg.AccountSID)
	return openapi.NewApiServiceWithClient(tc)
}

// withContext gives twilio-go's requests, made without a context, the
// context of the call.
type withContext struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t *withContext) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(req.Clone(t.ctx))
}

// Attributes are the attributes of a callback's Task. TaskRouter passes
// them to the workflow and the agent's desk; an agent's desk may add
// "outcome", "note" and "requested_at" before it completes the Task, and
// Map reads them back.
type Attributes struct {
	Type          string `json:"type"` // "callback"
	CallbackID    string `json:"callback_id"`
	Customer      string `json:"customer_id"`
	Name          string `json:"name,omitempty"`
	Phone         string `json:"phone,omitempty"`
	TalkingPoints string `json:"talking_points"`
	Priority      int    `json:"priority"`
	Queue         string `json:"queue"`
	Flow          string `json:"flow"`
	Step          string `json:"step"`
	Due           string `json:"due"`
	Attempts      int    `json:"attempts"`
}

// Export creates a Task for cb in the queue's workspace and workflow and
// returns its SID (WT…). timeout is how long the Task may wait; 0 or more
// than MaxTimeout waits MaxTimeout.
func (c *Client) Export(ctx context.Context, q *flows.Queue, cb *store.Callback, timeout time.Duration) (string, error) {
	if q.TaskRouter == nil {
		return "", fmt.Errorf("create task: queue %s has no taskrouter section", q.Name)
	}
	attrs, err := json.Marshal(Attributes{
		Type: "callback", CallbackID: cb.ID, Customer: cb.Customer, Name: cb.Name, Phone: cb.Phone,
		TalkingPoints: cb.TalkingPoint, Priority: cb.Priority, Queue: cb.Queue, Flow: cb.Flow, Step: cb.Step,
		Due: cb.Due.UTC().Format(time.RFC3339), Attempts: cb.Attempts,
	})
	if err != nil {
		return "", fmt.Errorf("create task: encode attributes: %w", err)
	}
	if timeout <= 0 || timeout > MaxTimeout {
		timeout = MaxTimeout
	}
	p := &openapi.CreateTaskParams{}
	p.SetWorkflowSid(q.TaskRouter.WorkflowSID)
	p.SetAttributes(string(attrs))
	p.SetTimeout(int(max(timeout/time.Second, 1)))
	if cb.Priority > 0 {
		p.SetPriority(cb.Priority)
	}
	if q.TaskRouter.TaskChannel != "" {
		p.SetTaskChannel(q.TaskRouter.TaskChannel)
	}
	task, err := c.api(ctx).CreateTask(q.TaskRouter.WorkspaceSID, p)
	if err != nil {
		return "", fmt.Errorf("create task for callback %s: %w", cb.ID, err)
	}
	if task.Sid == nil || !taskRe.MatchString(*task.Sid) {
		return "", fmt.Errorf("create task for callback %s: the answer holds no task SID", cb.ID)
	}
	return *task.Sid, nil
}

// Withdraw cancels Task sid. A Task that is gone, or has already ended,
// counts as withdrawn.
func (c *Client) Withdraw(ctx context.Context, q *flows.Queue, sid string) error {
	if q.TaskRouter == nil {
		return fmt.Errorf("cancel task %s: queue %s has no taskrouter section", sid, q.Name)
	}
	if !taskRe.MatchString(sid) {
		return nil // not a task SID: nothing to cancel
	}
	p := &openapi.UpdateTaskParams{}
	p.SetAssignmentStatus("canceled")
	p.SetReason("worked or ended in ahead")
	_, err := c.api(ctx).UpdateTask(q.TaskRouter.WorkspaceSID, sid, p)
	var rest *client.TwilioRestError
	if errors.As(err, &rest) && (rest.Status == http.StatusNotFound || rest.Status == http.StatusBadRequest) {
		// Gone, or completed or canceled already: TaskRouter refuses the change.
		return nil
	}
	if err != nil {
		return fmt.Errorf("cancel task %s: %w", sid, err)
	}
	return nil
}
