package yamlx

import "gopkg.in/yaml.v3"

// Reporter collects a loader's problems: one at node n (nil when the
// problem has no place), for the dotted field.
type Reporter interface {
	Errorf(n *yaml.Node, field, format string, args ...any)
}

// KeyFunc loads the value v of one known key, at field, into t.
type KeyFunc[R Reporter, T any] func(r R, t T, v *yaml.Node, field string)

// Mapping loads the keys of the mapping n at path through keys. Unknown and
// repeated keys are errors. YAML merge keys ("<<: *defaults") are followed;
// keys given in n itself win. It returns the key node of every key seen,
// or nil when n is not a mapping.
func Mapping[R Reporter, T any](r R, n *yaml.Node, path string, keys map[string]KeyFunc[R, T], t T) map[string]*yaml.Node {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		r.Errorf(n, path, "must be a mapping")
		return nil
	}
	seen := map[string]*yaml.Node{}
	for _, p := range Pairs(r, n, path) {
		k, v := Resolve(p.K), p.V
		if k == nil || k.Kind != yaml.ScalarNode {
			r.Errorf(p.K, path, "keys must be strings")
			continue
		}
		field := Join(path, k.Value)
		if prev, ok := seen[k.Value]; ok {
			if !p.Merged {
				r.Errorf(k, field, "given twice (first at line %d)", prev.Line+lineOffset(r))
			}
			continue
		}
		f, ok := keys[k.Value]
		if !ok {
			r.Errorf(k, field, "unknown field")
			continue
		}
		seen[k.Value] = k
		f(r, t, v, field)
	}
	return seen
}

// Offsetter is a Reporter whose node lines are shifted by an offset: the
// first line of its document in a stream of several.
type Offsetter interface {
	Offset() int
}

func lineOffset(r Reporter) int {
	if o, ok := r.(Offsetter); ok {
		return o.Offset()
	}
	return 0
}

// Pair is a key and its value; Merged says it came from a merge key.
type Pair struct {
	K, V   *yaml.Node
	Merged bool
}

// maxMerge bounds how deep merge keys may nest.
const maxMerge = 10

// Pairs returns the key/value pairs of the mapping n: its own, then those
// of the mappings it merges, in order.
func Pairs(r Reporter, n *yaml.Node, path string) []Pair { return pairs(r, n, path, 0) }

func pairs(r Reporter, n *yaml.Node, path string, depth int) []Pair {
	var own, merged []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Tag != "!!merge" {
			own = append(own, Pair{K: n.Content[i], V: n.Content[i+1]})
			continue
		}
		v := Resolve(n.Content[i+1])
		srcs := []*yaml.Node{v}
		if v != nil && v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, src := range srcs {
			src = Resolve(src)
			switch {
			case src == nil || src.Kind != yaml.MappingNode:
				r.Errorf(k, Join(path, k.Value), "must merge a mapping")
			case depth >= maxMerge:
				r.Errorf(k, Join(path, k.Value), "merges nested too deep")
			default:
				for _, p := range pairs(r, src, path, depth+1) {
					p.Merged = true
					merged = append(merged, p)
				}
			}
		}
	}
	return append(own, merged...)
}

// Str returns the scalar value of n. A null is "".
func Str(r Reporter, n *yaml.Node, field string) (string, bool) {
	v := Resolve(n)
	if IsNull(v) {
		return "", true
	}
	if v.Kind != yaml.ScalarNode {
		r.Errorf(n, field, "must be a string")
		return "", false
	}
	return v.Value, true
}

// Seq returns the items of the list n.
func Seq(r Reporter, n *yaml.Node, field string) ([]*yaml.Node, bool) {
	v := Resolve(n)
	if v == nil || v.Kind != yaml.SequenceNode {
		r.Errorf(n, field, "must be a list")
		return nil, false
	}
	return v.Content, true
}

// Required reports a missing key of the mapping at n.
func Required(r Reporter, seen map[string]*yaml.Node, n *yaml.Node, path, key string) bool {
	if seen == nil {
		return true
	}
	if _, ok := seen[key]; !ok {
		r.Errorf(Resolve(n), Join(path, key), "required")
		return false
	}
	return true
}
