package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pending is what cancelling a pending intervention needs to know of it.
type Pending struct {
	Flow      string `json:"flow"`
	Step      string `json:"step"`
	Subject   string `json:"subject,omitempty"`
	TaskQueue string `json:"task_queue"`
	TaskID    string `json:"task_id"`
}

// Task returns the id of iv's step task: TaskID, or the intervention id
// while it has none.
func (iv *Intervention) Task() string {
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
	planned, task, phase := "", iv.Task(), ""
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

// RecordFields are the fields of an intervention record, in their
// order, for whoever reads the records in Redis. A record is a JSON array
// of strings, the value of each field at its place ("" for none), up to
// the last that has one: a scheduled intervention's record needs the
// first sixteen. Fields are only ever added at the end.
var RecordFields = []string{
	"state", "flow", "version", "step", "run", "event", "event_type", "occurred", "subject", "channels",
	"due", "task_queue", "plan_at", "plan_cause", "plan", "zone",
	"arm", "planned", "task_id", "deferrals", "reason", "next", "channel", "code", "provider_id", "attempts",
	"phase", "plan_event", "plan_event_type", "cancel", "cancel_reason", "reopened",
}

// fieldAt maps a field name to its place in a record.
var fieldAt = func() map[string]int {
	m := make(map[string]int, len(RecordFields))
	for i, f := range RecordFields {
		m[f] = i
	}
	return m
}()

// encodeRecord returns the record of fields (name and value pairs, all
// strings, every name one of RecordFields).
func encodeRecord(fields []any) string {
	vals := make([]string, len(RecordFields))
	last := -1
	for i := 0; i < len(fields); i += 2 {
		name, _ := fields[i].(string)
		v, _ := fields[i+1].(string)
		at, ok := fieldAt[name]
		if !ok {
			panic("store: no record field " + name)
		}
		vals[at] = v
		if v != "" && at > last {
			last = at
		}
	}
	b := make([]byte, 0, 256)
	b = append(b, '[')
	for i, v := range vals[:last+1] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return string(append(b, ']'))
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

// decodeRecord reads an intervention's record into its fields; a field
// a later version added, which this one does not know, is left out.
func decodeRecord(id, raw string) (map[string]string, error) {
	var vals []string
	if err := json.Unmarshal([]byte(raw), &vals); err != nil {
		return nil, fmt.Errorf("intervention %s: bad record: %w", id, err)
	}
	m := make(map[string]string, len(vals))
	for i, v := range vals[:min(len(vals), len(RecordFields))] {
		if v != "" {
			m[RecordFields[i]] = v
		}
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
// record as a table of strings by field name (nil when there is none),
// put stores one, final says whether a state is final. cancelHeld applies
// the cancel that came while record r was being sent, in a script whose
// KEYS[2] is the journal, and returns its journal entry.
var recordLua = `
local F = {'` + strings.Join(RecordFields, "', '") + `'}
local function get(id)
  local v = redis.call('HGET', KEYS[1], id)
  if not v then return nil end
  local a, r = cjson.decode(v), {}
  for i = 1, math.min(#a, #F) do
    if a[i] ~= '' then r[F[i]] = a[i] end
  end
  return r
end
local function encode(r)
  local a, n = {}, 0
  for i = 1, #F do
    local v = r[F[i]]
    if v and v ~= '' then n = i end
    a[i] = v or ''
  end
  for i = #F, n + 1, -1 do a[i] = nil end
  return cjson.encode(a)
end
local function put(id, r) redis.call('HSET', KEYS[1], id, encode(r)) end
local function final(st)
  return st == 'sent' or st == 'skipped' or st == 'cancelled' or st == 'failed' or st == 'held_out'
end
local function cancelHeld(id, r, cap)
  local held = r.cancel
  r.state, r.reason, r.phase = 'cancelled', r.cancel_reason, nil
  put(id, r)
  redis.call('LPUSH', KEYS[2], held)
  redis.call('LTRIM', KEYS[2], 0, tonumber(cap) - 1)
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
