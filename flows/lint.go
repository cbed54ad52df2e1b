package flows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aheadhq/ahead/internal/yamlx"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/parser"
	"gopkg.in/yaml.v3"
)

// Warnings returns what loaded but is likely a mistake, in file and line
// order; `ahead flows validate` prints them and still succeeds. Today: an
// expression that reads a field of event.data without has() for it, which
// fails for an event without that field (a trigger.if that fails starts
// nothing, a skip_if that fails ends the step as failed).
func (s *Set) Warnings() []*Error { return slices.Clone(s.warnings) }

// lint returns the warnings about flows.
func lint(flows []*Flow) []*Error {
	var out []*Error
	for _, f := range flows {
		warn := func(src string, guarded map[string]bool, field string, path ...any) {
			for _, name := range unguardedData(src, guarded) {
				out = append(out, &Error{File: f.File, Line: f.line(path...), Field: field,
					Msg: fmt.Sprintf("reads event.data.%s without has(event.data.%s): for an event without %s the expression fails", name, name, name)})
			}
		}
		warn(f.Trigger.If, nil, "trigger.if", "trigger", "if")
		for i, r := range f.CancelOn {
			warn(r.If, nil, fmt.Sprintf("cancel_on[%d].if", i), "cancel_on", i, "if")
		}
		// skip_if sees the trigger event: what trigger.if demands is there.
		demanded := demandedData(f.Trigger.If)
		for i, st := range f.Steps {
			warn(st.SkipIf, demanded, fmt.Sprintf("steps[%d].skip_if", i), "steps", i, "skip_if")
			for j, r := range st.CancelOn {
				warn(r.If, nil, fmt.Sprintf("steps[%d].cancel_on[%d].if", i, j), "steps", i, "cancel_on", j, "if")
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out
}

// unguardedData returns, in order, the fields of event.data that the
// expression src reads (event.data.x, event.data["x"]) while it has no
// has(event.data.x) or "x" in event.data anywhere, and guarded does not
// hold them.
func unguardedData(src string, guarded map[string]bool) []string {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	tree, iss := parser.Parse(common.NewTextSource(src))
	if len(iss.GetErrors()) > 0 {
		return nil
	}
	var reads []string
	has := map[string]bool{}
	ast.PostOrderVisit(tree.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.SelectKind:
			sel := e.AsSelect()
			if !isEventData(sel.Operand()) {
				return
			}
			if sel.IsTestOnly() {
				has[sel.FieldName()] = true
			} else {
				reads = append(reads, sel.FieldName())
			}
		case ast.CallKind:
			call := e.AsCall()
			if len(call.Args()) != 2 {
				return
			}
			switch name, ok := stringLiteral(call.Args()[1]); {
			case call.FunctionName() == operators.Index && ok && isEventData(call.Args()[0]):
				reads = append(reads, name)
			case call.FunctionName() == operators.In && isEventData(call.Args()[1]):
				if key, ok := stringLiteral(call.Args()[0]); ok {
					has[key] = true
				}
			}
		}
	}))
	var out []string
	for _, name := range reads {
		if !has[name] && !guarded[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// demandedData returns the fields of event.data that a trigger.if
// demands: has(event.data.x) at its top level, alone or joined by &&.
func demandedData(src string) map[string]bool {
	out := map[string]bool{}
	if strings.TrimSpace(src) == "" {
		return out
	}
	tree, iss := parser.Parse(common.NewTextSource(src))
	if len(iss.GetErrors()) > 0 {
		return out
	}
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch {
		case e.Kind() == ast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd:
			for _, a := range e.AsCall().Args() {
				walk(a)
			}
		case e.Kind() == ast.SelectKind && e.AsSelect().IsTestOnly() && isEventData(e.AsSelect().Operand()):
			out[e.AsSelect().FieldName()] = true
		}
	}
	walk(tree.Expr())
	return out
}

// isEventData reports whether e is event.data.
func isEventData(e ast.Expr) bool {
	if e.Kind() != ast.SelectKind || e.AsSelect().IsTestOnly() || e.AsSelect().FieldName() != "data" {
		return false
	}
	op := e.AsSelect().Operand()
	return op.Kind() == ast.IdentKind && op.AsIdent() == "event"
}

// line returns the line, in the flow's file, of the value at path (keys of
// mappings and indexes of lists from the flow's top), or the flow's line
// when there is none.
func (f *Flow) line(path ...any) int {
	if line, ok := f.at(path...); ok {
		return line
	}
	return f.Line
}

// at returns the line, in the flow's file, of the value at path; false
// when the flow does not set it or its source cannot be read.
func (f *Flow) at(path ...any) (int, bool) {
	var n yaml.Node
	if yaml.Unmarshal(f.Source, &n) != nil {
		return 0, false
	}
	node := yamlx.Root(&n)
	if node == nil {
		return 0, false
	}
	node = yamlx.Resolve(node)
	off := f.Line - node.Line
	for _, p := range path {
		switch p := p.(type) {
		case string:
			node = lookup(node, p)
		case int:
			if node.Kind != yaml.SequenceNode || p >= len(node.Content) {
				return 0, false
			}
			node = yamlx.Resolve(node.Content[p])
		}
		if node == nil {
			return 0, false
		}
	}
	return node.Line + off, true
}
