package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

func deliveryKey(cus string) string { return custKey(cus, "delivery") }

// RecordDelivery remembers a provider's delivery status for a message
// (by its provider id) once. It reports whether this status is new, so a
// webhook delivered twice journals and acts once.
func (s *InterventionStore) RecordDelivery(ctx context.Context, cus, providerID, status string) (bool, error) {
	set, err := s.rdb.HSetNX(ctx, deliveryKey(cus), providerID+"|"+status, time.Now().UTC().Format(time.RFC3339)).Result()
	if err != nil {
		return false, fmt.Errorf("record delivery status: %w", err)
	}
	return set, nil
}

// Delivered reports whether RecordDelivery recorded this status for the
// message before.
func (s *InterventionStore) Delivered(ctx context.Context, cus, providerID, status string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, deliveryKey(cus), providerID+"|"+status).Result()
	if err != nil {
		return false, fmt.Errorf("read delivery status: %w", err)
	}
	return ok, nil
}

// reopenScript puts a sent intervention back to scheduled on its next
// channel after the provider reported that the message on channel (with
// provider id) was not delivered. It does so once per provider id.
// KEYS: interventions. ARGV: channel, provider id, task id, the expected
// next channel index, intervention id.
// Returns the next channel's index, -1 when there is no next channel, or
// -2 when the intervention is not (or no longer) in that state.
var reopenScript = recordScript(`
local id = ARGV[5]
local r = get(id)
if not r then return -2 end
local st = r.state
if r.reopened == ARGV[2] then
  if st == 'scheduled' or st == 'sending' then return tonumber(r.next or '0') end
  return -2
end
if st ~= 'sent' or r.provider_id ~= ARGV[2] or r.channel ~= ARGV[1] then return -2 end
local n = 0
for _ in string.gmatch(r.channels or '', '[^,]+') do n = n + 1 end
local nxt = tonumber(r.next or '0') + 1
if nxt >= n then return -1 end
if nxt ~= tonumber(ARGV[4]) then return -2 end
r.state, r.next, r.reopened, r.task_id = 'scheduled', tostring(nxt), ARGV[2], ARGV[3]
put(id, r)
return nxt
`)

// Reopen sends an intervention on to its next channel after the message
// on channel (provider id providerID) was reported undelivered. It returns
// the intervention ready to be queued, or nil when there is no next
// channel (next is false) or the report does not apply to it. Calling it
// again for the same report returns the same result, so the caller can
// queue the task again after a failure.
func (s *InterventionStore) Reopen(ctx context.Context, cus, id, channel, providerID string) (iv *Intervention, next bool, err error) {
	cur, err := s.Intervention(ctx, cus, id)
	if err != nil {
		return nil, false, err
	}
	want := cur.Next + 1
	if cur.State != Sent {
		want = cur.Next // a repeated report finds it reopened already
	}
	task := id + "-f" + strconv.Itoa(want)
	res, err := reopenScript.Run(ctx, s.rdb, []string{ivsKey(cus)},
		channel, providerID, task, want, id).Int()
	if err != nil {
		return nil, false, fmt.Errorf("reopen intervention %s: %w", id, err)
	}
	switch res {
	case -2:
		return nil, false, nil
	case -1:
		return cur, false, nil
	}
	iv, err = s.Intervention(ctx, cus, id)
	if err != nil {
		return nil, false, err
	}
	return iv, true, nil
}
