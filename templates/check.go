package templates

import (
	"fmt"
	"reflect"
	"strings"
	"text/template/parse"
)

var dataType = reflect.TypeFor[Data]()

// checkFields finds the field chains in tree that start at the template's
// data (.Customer.Name, $.Event.Type) and names the ones that cannot exist
// on Data, e.g. "templates/x.email.nl.tmpl:3: unknown field .Customer.Nmae".
// src is the text tree was parsed from, for line numbers. Chains inside
// range and with, where the dot is something else, are not checked, nor are
// keys of .Event.Data, which the event decides.
func checkFields(file, src string, tree *parse.Tree) []error {
	if tree == nil {
		return nil
	}
	c := &fieldChecker{file: file, src: src}
	c.walk(tree.Root, true)
	return c.errs
}

type fieldChecker struct {
	file, src string
	errs      []error
}

// walk visits n; atRoot says whether the dot is still the template's data.
func (c *fieldChecker) walk(n parse.Node, atRoot bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, x := range n.Nodes {
			c.walk(x, atRoot)
		}
	case *parse.ActionNode:
		c.walk(n.Pipe, atRoot)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			c.walk(cmd, atRoot)
		}
	case *parse.CommandNode:
		for _, arg := range n.Args {
			c.walk(arg, atRoot)
		}
	case *parse.ChainNode:
		c.walk(n.Node, atRoot)
	case *parse.FieldNode:
		if atRoot {
			c.check(n.Pos, ".", n.Ident)
		}
	case *parse.VariableNode:
		// $ is the template's data wherever it appears.
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			c.check(n.Pos, "$.", n.Ident[1:])
		}
	case *parse.IfNode:
		c.walk(n.Pipe, atRoot)
		c.walk(n.List, atRoot)
		c.walk(n.ElseList, atRoot)
	case *parse.RangeNode:
		c.walk(n.Pipe, atRoot)
		c.walk(n.List, false)
		c.walk(n.ElseList, atRoot)
	case *parse.WithNode:
		c.walk(n.Pipe, atRoot)
		c.walk(n.List, false)
		c.walk(n.ElseList, atRoot)
	case *parse.TemplateNode:
		c.walk(n.Pipe, atRoot)
	}
}

func (c *fieldChecker) check(pos parse.Pos, prefix string, idents []string) {
	n := resolve(dataType, idents)
	if n == len(idents) {
		return
	}
	line := 1 + strings.Count(c.src[:min(int(pos), len(c.src))], "\n")
	c.errs = append(c.errs, fmt.Errorf("%s:%d: unknown field %s%s",
		c.file, line, prefix, strings.Join(idents[:n+1], ".")))
}

// resolve follows idents from t the way text/template does and returns how
// many of them it could follow: all of them when the chain may exist. A
// chain that reaches a map or an interface (such as .Event.Data) may hold
// anything from there on.
func resolve(t reflect.Type, idents []string) int {
	for i, id := range idents {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if m, ok := reflect.PointerTo(t).MethodByName(id); ok {
			if m.Type.NumOut() == 0 {
				return len(idents)
			}
			t = m.Type.Out(0)
			continue
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(id)
			if !ok || !f.IsExported() {
				return i
			}
			t = f.Type
		case reflect.Map, reflect.Interface:
			return len(idents)
		default:
			return i
		}
	}
	return len(idents)
}
