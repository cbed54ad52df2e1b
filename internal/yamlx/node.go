package yamlx

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Resolve follows aliases.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is missing or a null scalar.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Join appends key to a dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Root returns the root node of a document, or nil when it is empty.
func Root(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if IsNull(Resolve(n)) {
		return nil
	}
	return n
}

// Describe names the kind of a node the way a YAML user knows it: "a
// mapping", "a list", "nothing", "an integer", "a boolean", "a number" or
// "a string".
func Describe(n *yaml.Node) string {
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

// Chunk is one document of a YAML stream: its first line in the stream
// (1-based) and its bytes.
type Chunk struct {
	Line int
	Data []byte
}

// Split splits a YAML stream into its documents. A line that starts with
// "---" or "..." followed by a blank or the end of the line is a document
// marker wherever it appears; "---" starts a document, "..." ends one.
func Split(data []byte) []Chunk {
	var (
		out   []Chunk
		start = 0 // byte offset of the current chunk
		line  = 1 // line number of the current chunk
	)
	isMarker := func(l []byte, m string) bool {
		if !bytes.HasPrefix(l, []byte(m)) {
			return false
		}
		rest := l[len(m):]
		return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r'
	}
	pos, n := 0, 1
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		l := bytes.TrimRight(data[pos:next], "\n")
		switch {
		case isMarker(l, "---"):
			if pos > start {
				out = append(out, Chunk{Line: line, Data: data[start:pos]})
			}
			start, line = pos, n
		case isMarker(l, "..."):
			out = append(out, Chunk{Line: line, Data: data[start:next]})
			start, line = next, n+1
		}
		pos = next
		n++
	}
	if start < len(data) {
		out = append(out, Chunk{Line: line, Data: data[start:]})
	}
	return out
}
