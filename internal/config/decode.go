package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var durationType = reflect.TypeFor[Duration]()

// decode overlays the YAML document in data onto c, recording the line of
// every key it sets in c.src. It reports every problem it finds.
func (c *Config) decode(name string, data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return syntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return syntaxError(name, err)
	default:
		return fmt.Errorf("%s:%d: only one YAML document is allowed", name, next.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	d := decoder{name: name, src: c.src}
	d.value(root, reflect.ValueOf(c).Elem(), "")
	return errors.Join(d.errs...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError rewrites a YAML parser error as "file:line: message".
func syntaxError(name string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: invalid YAML: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s: invalid YAML: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
}

type decoder struct {
	name string
	src  map[string]string
	errs []error
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.errs = append(d.errs, fmt.Errorf("%s:%d: %s", d.name, n.Line, msg))
}

func (d *decoder) mark(n *yaml.Node, path string) {
	if path != "" {
		d.src[path] = fmt.Sprintf("%s:%d", d.name, n.Line)
	}
}

// value decodes n into v, whose key path is path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case v.Type() == durationType || v.Kind() != reflect.Struct && v.Kind() != reflect.Slice:
		d.scalar(n, v, path)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	default:
		d.sequence(n, v, path)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.fail(n, path, "expected a mapping of settings at the top level, got %s", describe(n))
		} else {
			d.fail(n, path, "expected a mapping, got %s", describe(n))
		}
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.fail(k, path, "merge keys and complex keys are not supported")
			continue
		}
		f, ok := fieldByTag(v, k.Value)
		if !ok {
			d.fail(k, key, "unknown field")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.fail(k, key, "already set on line %d", line)
			continue
		}
		seen[k.Value] = k.Line
		d.mark(k, key)
		d.value(val, f, key)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		v.SetZero()
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.mark(item, p)
		d.value(item, s.Index(i), p)
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want(v), describe(n))
		return
	}
	if isNull(n) {
		v.SetZero()
		return
	}
	if err := setScalar(v, n.Value); err != nil {
		d.fail(n, path, "%v", err)
	}
}

// setScalar parses s into v, a string, bool, integer or Duration. Errors
// name what was expected and quote s.
func setScalar(v reflect.Value, s string) error {
	if v.Type() == durationType {
		x, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(x))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		x, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("not a boolean: %q (use true or false)", s)
		}
		v.SetBool(x)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		v.SetInt(x)
	default:
		panic("config: no parser for " + v.Type().String())
	}
	return nil
}

// fieldByTag returns the field of struct v whose yaml tag is name.
func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if tag, ok := yamlName(t.Field(i)); ok && tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// yamlName returns the YAML key of an exported field; false for fields
// that are not part of the file.
func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!int":
		return "an integer"
	case "!!bool":
		return "a boolean"
	case "!!float":
		return "a number"
	}
	return "a string"
}

func want(v reflect.Value) string {
	if v.Type() == durationType {
		return "a duration"
	}
	switch v.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	}
	return "an integer"
}
