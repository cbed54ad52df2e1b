package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pending is the index entry of a pending intervention.
type Pending struct {
	Flow      string `json:"flow"`
	Step      string `json:"step"`
	Subject   string `json:"subject,omitempty"`
	TaskQueue string `json:"task_queue"`
	TaskID    string `json:"task_id"`
}

// pending returns iv's entry in the pending index.
func (iv *Intervention) pending() string {
	return Pending{Flow: iv.Flow, Step: iv.Step, Subject: iv.Subject, TaskQueue: iv.TaskQueue, TaskID: iv.task()}.encode(iv.ID)
}

// encode returns the index entry of intervention id: flow, step, task
// queue, task id ("" when it is id) and subject, joined by "|". Names and
// queues have no "|"; the subject comes last, so it may. An entry this
// short lets Redis keep a customer's index in its compact encoding.
func (p Pending) encode(id string) string {
	task := p.TaskID
	if task == id {
		task = ""
	}
	return p.Flow + "|" + p.Step + "|" + p.TaskQueue + "|" + task + "|" + p.Subject
}

// decodePending reads an index entry; earlier versions wrote JSON.
func decodePending(id, raw string) (Pending, error) {
	var p Pending
	if strings.HasPrefix(raw, "{") {
		err := json.Unmarshal([]byte(raw), &p)
		return p, err
	}
	parts := strings.SplitN(raw, "|", 5)
	if len(parts) != 5 {
		return p, fmt.Errorf("bad entry %q", raw)
	}
	p = Pending{Flow: parts[0], Step: parts[1], TaskQueue: parts[2], TaskID: parts[3], Subject: parts[4]}
	if p.TaskID == "" {
		p.TaskID = id
	}
	return p, nil
}

// task returns the id of iv's asynq task.
func (iv *Intervention) task() string {
	if iv.TaskID != "" {
		return iv.TaskID
	}
	return iv.ID
}

// fields returns iv's hash fields as name, value pairs. The customer and
// the id are in the key. A value that is empty, zero or follows from
// another (a planned time equal to the due time, a task id equal to the
// intervention id) is "": a new intervention's hash leaves such a field
// out (encodeRecord) and an update deletes it, so that an intervention stores
// what it must and no more.
func (iv *Intervention) fields() []any {
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	planned, task, phase := "", iv.task(), ""
	if iv.State == Sending {
		// A try that goes on sending (the next channel after a permanent
		// failure) has not reached that channel's point of no return.
		phase = phaseClaimed
	}
	if !iv.Planned.IsZero() && !iv.Planned.Equal(iv.Due) {
		planned = iv.Planned.UTC().Format(time.RFC3339Nano)
	}
	if task == iv.ID {
		task = ""
	}
	occurred, planAt := "", ""
	if !iv.Occurred.IsZero() {
		occurred = strconv.FormatInt(iv.Occurred.UnixMilli(), 10)
	}
	if !iv.Plan.At.IsZero() {
		planAt = strconv.FormatInt(iv.Plan.At.UnixNano(), 10)
	}
	reason := iv.Reason
	if reason == iv.Plan.Reason {
		reason = "" // the plan's, until a decision gives another
	}
	return []any{
		"run", iv.Run, "flow", iv.Flow,
		"version", iv.Version, "step", iv.Step, "event", iv.EventID,
		"event_type", iv.EventType, "occurred", occurred, "subject", iv.Subject,
		"channels", strings.Join(iv.Channels, ","), "due", iv.Due.UTC().Format(time.RFC3339Nano),
		"planned", planned,
		"task_queue", iv.TaskQueue, "task_id", task, "deferrals", num(iv.Deferrals),
		"state", iv.State, "reason", reason,
		"plan_at", planAt, "plan_cause", iv.Plan.Cause, "plan", iv.Plan.Reason, "zone", iv.Plan.Zone,
		"next", num(iv.Next), "channel", iv.Channel, "code", iv.Code,
		"provider_id", iv.ProviderID, "attempts", num(iv.Attempts), "arm", iv.Arm, "phase", phase,
	}
}

// The phase of a try, in an intervention's "phase" field while it is
// sending: claimed by Begin, committed by Commit once the channel reached
// its point of no return. A sending intervention without a phase was
// claimed by an earlier version, which did not record the point; it
// counts as committed.
const (
	phaseClaimed   = "claimed"
	phaseCommitted = "committed"
)

// encodeRecord returns an intervention's record: a JSON object of the
// name and value pairs of fields whose value is not empty, all strings.
// The customer's interventions hash keeps it under the intervention's id,
// and the scripts read and change it with Redis's cjson.
func encodeRecord(fields []any) string {
	b := make([]byte, 0, 384)
	b = append(b, '{')
	for i := 0; i < len(fields); i += 2 {
		v, _ := fields[i+1].(string)
		if v == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		name, _ := fields[i].(string)
		b = appendJSONString(append(appendJSONString(b, name), ':'), v)
	}
	return string(append(b, '}'))
}

// appendJSONString appends s to b as a JSON string. s is UTF-8 (it comes
// from validated JSON or from ahead); only what JSON requires is escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// decodeRecord reads an intervention's record into its fields.
func decodeRecord(id, raw string) (map[string]string, error) {
	m := map[string]string{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("intervention %s: bad record: %w", id, err)
	}
	return m, nil
}

// loadIntervention decodes the record raw of intervention id.
func loadIntervention(cus, id, raw string) (*Intervention, error) {
	m, err := decodeRecord(id, raw)
	if err != nil {
		return nil, err
	}
	return decodeIntervention(cus, id, m)
}

// recordLua opens every script that reads or changes intervention
// records; KEYS[1] is the customer's interventions hash. get returns a
// record as a table of strings (nil when there is none), put stores one,
// final says whether a state is final. cancelHeld applies the cancel that
// came while record r was being sent, in a script whose KEYS[2] is the
// pending index and KEYS[3] the journal, and returns its journal entry.
const recordLua = `
local function get(id)
  local v = redis.call('HGET', KEYS[1], id)
  if v then return cjson.decode(v) end
end
local function put(id, r) redis.call('HSET', KEYS[1], id, cjson.encode(r)) end
local function final(st)
  return st == 'sent' or st == 'skipped' or st == 'cancelled' or st == 'failed' or st == 'held_out'
end
local function cancelHeld(id, r, cap)
  local held = r.cancel
  r.state, r.reason, r.phase = 'cancelled', r.cancel_reason, nil
  put(id, r)
  redis.call('HDEL', KEYS[2], id)
  redis.call('LPUSH', KEYS[3], held)
  redis.call('LTRIM', KEYS[3], 0, tonumber(cap) - 1)
  return held
end
`

// recordScript returns a script on intervention records (see recordLua).
func recordScript(body string) *redis.Script { return redis.NewScript(recordLua + body) }

// decodeIntervention reads the fields of intervention id of customer cus.
func decodeIntervention(cus, id string, m map[string]string) (*Intervention, error) {
	iv := &Intervention{
		ID: id, Customer: cus, Run: m["run"], Flow: m["flow"],
		Version: m["version"], Step: m["step"], EventID: m["event"],
		EventType: m["event_type"], Subject: m["subject"], TaskQueue: m["task_queue"], TaskID: m["task_id"],
		State: m["state"], Reason: m["reason"], Channel: m["channel"],
		Code: m["code"], ProviderID: m["provider_id"], Arm: m["arm"],
	}
	if iv.TaskID == "" {
		iv.TaskID = id
	}
	if c := m["channels"]; c != "" {
		iv.Channels = strings.Split(c, ",")
	}
	var err error
	if iv.Due, err = time.Parse(time.RFC3339Nano, m["due"]); err != nil {
		return nil, fmt.Errorf("intervention %s: bad due time: %w", iv.ID, err)
	}
	iv.Planned, _ = time.Parse(time.RFC3339Nano, m["planned"])
	if iv.Planned.IsZero() {
		iv.Planned = iv.Due
	}
	if ms, err := strconv.ParseInt(m["occurred"], 10, 64); err == nil {
		iv.Occurred = time.UnixMilli(ms)
	}
	if ns, err := strconv.ParseInt(m["plan_at"], 10, 64); err == nil {
		iv.Plan = Plan{At: time.Unix(0, ns).UTC(), Cause: m["plan_cause"], Reason: m["plan"], Zone: m["zone"],
			Event: m["plan_event"], EventType: m["plan_event_type"]}
		if _, ok := m["reason"]; !ok {
			iv.Reason = iv.Plan.Reason
		}
	}
	iv.Deferrals, _ = strconv.Atoi(m["deferrals"])
	iv.Next, _ = strconv.Atoi(m["next"])
	iv.Attempts, _ = strconv.Atoi(m["attempts"])
	return iv, nil
}
