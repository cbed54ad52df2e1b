package yamlx

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var textType = reflect.TypeFor[encoding.TextUnmarshaler]()

// text reports whether v takes a scalar through UnmarshalText, as a
// duration type does.
func text(v reflect.Value) bool {
	return v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(textType)
}

// Decode overlays the YAML document in data, read from the file name, onto
// the struct v points to: strictly (unknown and repeated keys are errors,
// one document only), with every problem reported at once as
// "name:line: path: message". Struct fields take their keys from yaml
// tags; strings, booleans, integers, lists and types with UnmarshalText
// are read. When src is not nil, Decode records in it the place
// ("name:line") of every key path it sets ("smtp.port", "api.tokens[1]").
func Decode(name string, data []byte, v any, src map[string]string) error {
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
	d := decoder{name: name, src: src}
	d.value(root, reflect.ValueOf(v).Elem(), "")
	return errors.Join(d.errs...)
}

// syntaxError rewrites a YAML parser error as "file:line: message".
func syntaxError(name string, err error) error {
	if m := linePattern.FindStringSubmatch(err.Error()); m != nil {
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
	if path != "" && d.src != nil {
		d.src[path] = fmt.Sprintf("%s:%d", d.name, n.Line)
	}
}

// value decodes n into v, whose key path is path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case text(v) || v.Kind() != reflect.Struct && v.Kind() != reflect.Slice:
		d.scalar(n, v, path)
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	default:
		d.sequence(n, v, path)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if IsNull(n) {
		return // an empty section keeps its defaults
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.fail(n, path, "expected a mapping of settings at the top level, got %s", Describe(n))
		} else {
			d.fail(n, path, "expected a mapping, got %s", Describe(n))
		}
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := Join(path, k.Value)
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
	if IsNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", Describe(n))
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
		d.fail(n, path, "expected %s, got %s", want(v), Describe(n))
		return
	}
	if IsNull(n) {
		v.SetZero()
		return
	}
	if err := SetScalar(v, n.Value); err != nil {
		d.fail(n, path, "%v", err)
	}
}

// SetScalar parses s into v, a string, bool, integer or a type with
// UnmarshalText. Errors name what was expected and quote s.
func SetScalar(v reflect.Value, s string) error {
	if text(v) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
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
		panic("yamlx: no parser for " + v.Type().String())
	}
	return nil
}

// fieldByTag returns the field of struct v whose yaml tag is name.
func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if tag, ok := Key(t.Field(i)); ok && tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// Key returns the YAML key of an exported field; false for fields
// that are not part of the file.
func Key(f reflect.StructField) (string, bool) {
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

func want(v reflect.Value) string {
	if text(v) {
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
