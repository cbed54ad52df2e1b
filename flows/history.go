package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/parser"
)

// skip_if sees the customer's other events as lists of events, each a map
//
//	{id, type, occurred_at (a timestamp), subject, data}
//
// with data {} (and subject "") once the event is no longer stored:
//
//	events_since               the events that occurred after the trigger
//	                           event, oldest first; at most the newest 100
//	events_before(type, "7d")  the events of that type that occurred in the
//	                           window before the trigger event, newest
//	                           first; at most 100, the window at most 30d
//
// `"order.delivered" in events_since` is true when an event of that type is
// in the list, and size(events_since) counts them, as when events_since was
// a list of types.

// Names the skip_if environment uses behind the scenes.
const (
	// typesSinceVar holds the types of events_since, for
	// `"x" in events_since` and size(events_since), which need no data.
	typesSinceVar = "ahead_event_types_since"
	// beforeVar holds the events before the trigger that events_before
	// filters.
	beforeVar = "ahead_events_before"
	// beforeIter is the element variable of the filter events_before
	// expands to.
	beforeIter = "ahead_e"
)

// MaxBeforeWindow is the longest window events_before looks back.
const MaxBeforeWindow = 30 * 24 * time.Hour

// skipReads says what a skip_if expression reads of the customer's other
// events, so that a step reads only that.
type skipReads struct {
	since     bool // events_since in any form
	sinceData bool // the events of events_since, not only their types
	// beforeWindow is the longest events_before window; 0 when the
	// expression does not call events_before.
	beforeWindow time.Duration
	// beforeTypes are the types events_before asks for; nil for every type
	// (a type that is not a quoted string).
	beforeTypes []string
}

// historyOptions declares events_since and events_before in the skip_if
// environment.
func historyOptions() []cel.EnvOption {
	ev := cel.MapType(cel.StringType, cel.DynType)
	return []cel.EnvOption{
		cel.Variable("events_since", cel.ListType(ev)),
		cel.Variable(typesSinceVar, cel.ListType(cel.StringType)),
		cel.Variable(beforeVar, cel.ListType(ev)),
		cel.Macros(
			cel.GlobalMacro(operators.In, 2, typeInSince),
			cel.GlobalMacro("size", 1, sizeOfSince),
			cel.ReceiverMacro("size", 0, sizeOfSince),
			cel.GlobalMacro("events_before", 2, expandBefore),
		),
	}
}

// isSince reports whether e is the variable events_since.
func isSince(e ast.Expr) bool { return e.Kind() == ast.IdentKind && e.AsIdent() == "events_since" }

// typeInSince reads `T in events_since` as `T in` the types of
// events_since.
func typeInSince(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	if !isSince(args[1]) {
		return nil, nil
	}
	return eh.NewCall(operators.In, args[0], eh.NewIdent(typesSinceVar)), nil
}

// sizeOfSince reads size(events_since) and events_since.size() as the
// size of the types of events_since.
func sizeOfSince(eh cel.MacroExprFactory, target ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	if target == nil && len(args) == 1 {
		target = args[0]
	}
	if target == nil || !isSince(target) {
		return nil, nil
	}
	return eh.NewCall("size", eh.NewIdent(typesSinceVar)), nil
}

// expandBefore turns events_before(T, W) into a filter over the events
// before the trigger:
//
//	ahead_events_before.filter(ahead_e, ahead_e.type == T &&
//	    ahead_e.occurred_at >= event.occurred_at - duration(W))
func expandBefore(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	window, err := beforeWindow(args[1])
	if err != nil {
		return nil, eh.NewError(args[1].ID(), "events_before: "+err.Error())
	}
	el := func(field string) ast.Expr { return eh.NewSelect(eh.NewIdent(beforeIter), field) }
	since := eh.NewCall(operators.Subtract,
		eh.NewSelect(eh.NewIdent("event"), "occurred_at"),
		eh.NewCall("duration", eh.NewLiteral(types.String(fmt.Sprintf("%ds", int64(window/time.Second))))))
	pred := eh.NewCall(operators.LogicalAnd,
		eh.NewCall(operators.Equals, el("type"), args[0]),
		eh.NewCall(operators.GreaterEquals, el("occurred_at"), since))
	return parser.MakeFilter(eh, eh.NewIdent(beforeVar), []ast.Expr{eh.NewIdent(beforeIter), pred})
}

// beforeWindow reads the window of events_before: a quoted duration as
// after takes it ("7d", "36h", "90m") or duration("…") of a quoted CEL
// duration ("72h"); more than 0 and at most MaxBeforeWindow.
func beforeWindow(e ast.Expr) (time.Duration, error) {
	const want = `the window must be a quoted duration such as "7d" or "36h", at most 30d`
	var d time.Duration
	switch {
	case e.Kind() == ast.LiteralKind:
		s, ok := e.AsLiteral().Value().(string)
		if !ok {
			return 0, fmt.Errorf("%s", want)
		}
		days, clock, err := parseAfter(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", want, err)
		}
		d = time.Duration(days)*24*time.Hour + clock
	case e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "duration" && len(e.AsCall().Args()) == 1 &&
		e.AsCall().Args()[0].Kind() == ast.LiteralKind:
		s, _ := e.AsCall().Args()[0].AsLiteral().Value().(string)
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%s: %v", want, err)
		}
	default:
		return 0, fmt.Errorf("%s", want)
	}
	if d <= 0 || d > MaxBeforeWindow {
		return 0, fmt.Errorf("%s, got %s", want, fmtDur(d))
	}
	return d, nil
}

// compileSkip compiles a skip_if expression and says what it reads of
// the customer's other events.
func compileSkip(src string) (cel.Program, skipReads, error) {
	prg, refs, err := compileRefs(skipEnv, src)
	if err != nil {
		if strings.Contains(src, "events_since") && strings.Contains(err.Error(), "map(string, dyn)") {
			err = fmt.Errorf("%w (events_since holds events, each {id, type, occurred_at, subject, data}: "+
				`compare e.type, as in events_since.exists(e, e.type == "order.delivered"))`, err)
		}
		return nil, skipReads{}, err
	}
	r := skipReads{since: refs["events_since"] || refs[typesSinceVar], sinceData: refs["events_since"]}
	if refs[beforeVar] {
		r.beforeWindow, r.beforeTypes = beforeCalls(src)
	}
	return prg, r, nil
}

// beforeCalls returns the longest window of the events_before calls in
// src and the types they ask for, nil when one of them is not a quoted
// string.
func beforeCalls(src string) (window time.Duration, typs []string) {
	tree, iss := parser.Parse(common.NewTextSource(src))
	if len(iss.GetErrors()) > 0 {
		return MaxBeforeWindow, nil
	}
	every := false
	ast.PostOrderVisit(tree.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.CallKind || e.AsCall().FunctionName() != "events_before" || len(e.AsCall().Args()) != 2 {
			return
		}
		args := e.AsCall().Args()
		if d, err := beforeWindow(args[1]); err == nil {
			window = max(window, d)
		}
		typ, ok := stringLiteral(args[0])
		if !ok {
			every = true
		} else if !slices.Contains(typs, typ) {
			typs = append(typs, typ)
		}
	}))
	if every {
		typs = nil
	}
	return window, typs
}

// stringLiteral returns the value of a quoted string.
func stringLiteral(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().Value().(string)
	return s, ok
}

// SkipReadsEventData reports whether the step's skip_if reads the events
// of events_since, not only their types ("x" in events_since,
// size(events_since)), so that a caller reads their data only then.
func (s *Step) SkipReadsEventData() bool { return s.reads.sinceData }

// SkipEventsBefore returns how far back before the trigger the step's
// skip_if looks with events_before, 0 when it does not, and the event
// types it asks for, nil for every type.
func (s *Step) SkipEventsBefore() (window time.Duration, types []string) {
	return s.reads.beforeWindow, s.reads.beforeTypes
}

// eventList turns events into the lists skip_if sees.
func eventList(evs []*Event) []map[string]any {
	out := make([]map[string]any, len(evs))
	for i, ev := range evs {
		data := map[string]any{}
		for k, v := range ev.Data {
			data[k] = plain(v)
		}
		out[i] = map[string]any{"id": ev.ID, "type": ev.Type, "occurred_at": ev.OccurredAt, "subject": ev.Subject, "data": data}
	}
	return out
}
