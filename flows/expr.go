package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
)

// Expressions (trigger.if, cancel_on[].if) are CEL over two variables, both
// maps from string to any value:
//
//	event     id, type, customer_id, occurred_at (a timestamp), subject and
//	          data (the event's data object, {} when there is none)
//	customer  id, name, first_name, email, phone, whatsapp, timezone, locale and
//	          formality ("" when unknown), and consent (channel to
//	          "granted" or "revoked")
//
// An expression must compile and yield a bool (a dyn result is checked when
// it is evaluated). Selecting a key that is not there is an error, as CEL
// defines it: `event.data.plan == "trial"` fails for an event without a plan.
// Guard optional keys with has(): `has(event.data.plan) && event.data.plan
// == "trial"`. Numbers in data compare across int and double (`event.data.
// seats > 3` works for 4 and 4.0).

// exprCostLimit bounds the work one evaluation may do.
const exprCostLimit = 1_000_000

var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("customer", cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
	)
})

// compileExpr compiles a bool expression. The error is CEL's message, on
// one line, with the position in the expression.
func compileExpr(src string) (cel.Program, error) { return compileIn(celEnv, src) }

// compileIn compiles a bool expression in the environment env makes.
func compileIn(mkEnv func() (*cel.Env, error), src string) (cel.Program, error) {
	prg, _, err := compileRefs(mkEnv, src)
	return prg, err
}

// compileRefs compiles a bool expression in the environment env makes and
// also returns the names of the variables it refers to.
func compileRefs(mkEnv func() (*cel.Env, error), src string) (cel.Program, map[string]bool, error) {
	return compileTyped(mkEnv, src, func(t *cel.Type) error {
		if !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return fmt.Errorf("must be true or false, not %s", t)
		}
		return nil
	})
}

// compileTyped compiles an expression in the environment env makes, checks
// its result type with result, and returns the names of the variables it
// refers to.
func compileTyped(mkEnv func() (*cel.Env, error), src string, result func(*cel.Type) error) (cel.Program, map[string]bool, error) {
	env, err := mkEnv()
	if err != nil {
		return nil, nil, fmt.Errorf("create expression environment: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("%d:%d: %s", e.Location.Line(), e.Location.Column()+1, e.Message))
		}
		return nil, nil, fmt.Errorf("does not compile: %s", strings.Join(msgs, "; "))
	}
	if err := result(ast.OutputType()); err != nil {
		return nil, nil, err
	}
	prg, err := env.Program(ast, cel.CostLimit(exprCostLimit))
	if err != nil {
		return nil, nil, fmt.Errorf("does not compile: %w", err)
	}
	refs := map[string]bool{}
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name != "" && len(r.OverloadIDs) == 0 {
			refs[r.Name] = true
		}
	}
	return prg, refs, nil
}

// evalExpr evaluates a compiled bool expression over vars.
func evalExpr(prg cel.Program, vars map[string]any) (bool, error) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("result is %s, want bool", out.Type())
	}
	return b, nil
}

// Vars returns the activation trigger and cancel expressions see for ev and
// c. A nil c leaves the customer's fields empty, except its id, which
// defaults to the event's customer_id.
func Vars(ev *Event, c *Customer) map[string]any {
	if ev == nil {
		ev = &Event{}
	}
	if c == nil {
		c = &Customer{}
	}
	data := map[string]any{}
	for k, v := range ev.Data {
		data[k] = plain(v)
	}
	id := c.ID
	if id == "" {
		id = ev.CustomerID
	}
	return map[string]any{
		"event": map[string]any{
			"id":          ev.ID,
			"type":        ev.Type,
			"customer_id": ev.CustomerID,
			"occurred_at": ev.OccurredAt,
			"subject":     ev.Subject,
			"data":        data,
		},
		"customer": map[string]any{
			"id":         id,
			"name":       c.Name,
			"first_name": c.FirstName,
			"email":      c.Email,
			"phone":      c.Phone,
			"whatsapp":   c.WhatsApp,
			"timezone":   c.Timezone,
			"locale":     c.Locale,
			"formality":  c.Formality,
			"consent":    consent(c.Consent),
		},
	}
}

// consent returns the consent map for expressions, {} when there is none.
func consent(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// plain turns JSON numbers decoded with UseNumber into int64 or float64, so
// expressions can compare them.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = plain(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = plain(e)
		}
		return s
	}
	return v
}

// Triggered returns the flows, by name, that ev starts: those whose
// trigger.event is ev.Type and whose trigger.if, when given, is true for ev
// and c (nil c: ev.Customer). A flow whose expression fails to evaluate is
// left out and named in the error; the other flows are still returned.
func (s *Set) Triggered(ev *Event, c *Customer) ([]*Flow, error) {
	if c == nil {
		c = ev.Customer
	}
	var (
		out  []*Flow
		errs []error
		vars map[string]any
	)
	for _, f := range s.flows {
		if f.Trigger.Event != ev.Type {
			continue
		}
		if f.Trigger.prg != nil {
			if vars == nil {
				vars = Vars(ev, c)
			}
			ok, err := evalExpr(f.Trigger.prg, vars)
			if err != nil {
				errs = append(errs, fmt.Errorf("flow %s: trigger.if: %w", f.Name, err))
				continue
			}
			if !ok {
				continue
			}
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// Cancels returns the flows, by name, with a flow-level cancel_on rule
// that ev matches (see CancelTargets, which also names single steps).
func (s *Set) Cancels(ev *Event, c *Customer) ([]*Flow, error) {
	targets, err := s.CancelTargets(ev, c)
	var out []*Flow
	for _, t := range targets {
		if t.Step == "" {
			out = append(out, s.byName[t.Flow])
		}
	}
	return out, err
}
