package stripe

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/yamlx"
)

// EventIDPrefix is put before Stripe's event id (evt_…) to make the ahead
// event id, so that Stripe's retries of an event are acknowledged and
// ignored as repeats.
const EventIDPrefix = "stripe_"

// ErrIgnored reports a Stripe event that is not for ahead: its type is not
// mapped, its rule says ignore, or it names no customer. The handler
// answers 2xx (so Stripe does not retry it) and counts it.
var ErrIgnored = errors.New("ignored")

// Mapping turns Stripe events into ahead events, one rule per Stripe event
// type. The zero Mapping ignores every event; build one with Default or
// LoadMapping. A Mapping is safe for concurrent use.
type Mapping struct {
	rules map[string]*rule
}

// rule is how one Stripe event type becomes an ahead event.
type rule struct {
	event    string
	customer value
	subject  value
	data     map[string]value
	ignore   bool
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the default mapping as a mapping file, the best
// start for a file of one's own.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

var defaultMapping = sync.OnceValue(func() Mapping {
	m, err := parse("default.yaml", defaultYAML)
	if err != nil {
		panic("stripe: the default mapping does not load: " + err.Error())
	}
	return m
})

// Default returns the mapping ahead uses without a mapping file:
//
//	customer.subscription.created → subscription.created
//	customer.subscription.deleted → subscription.cancelled
//	invoice.upcoming              → invoice.upcoming
//	invoice.payment_failed        → invoice.payment_failed
//	invoice.paid                  → invoice.paid
//	customer.source.expiring      → card.expiring
//
// DefaultYAML shows its rules.
func Default() Mapping { return defaultMapping() }

// LoadMapping reads a mapping file and returns the default mapping with
// the file's rules added; a rule for a type the default maps replaces the
// default rule.
//
// The file is YAML, a map from Stripe event types to rules:
//
//	charge.refunded:
//	  event: payment.refunded          # the ahead event type; required
//	  customer: data.object.customer   # the customer id; this is the default
//	  subject: data.object.id          # optional
//	  data: { amount: amount(data.object.amount_refunded), currency: data.object.currency }
//	customer.source.expiring:
//	  ignore: true                     # no ahead event for this type
//
// It is read strictly: an unknown key, a bad event type, a path that does
// not start at a field of a Stripe event or an unknown function is an
// error of the form "file:line: field: message", all of them at once.
func LoadMapping(path string) (Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("read stripe mapping: %w", err)
	}
	own, err := parse(path, b)
	if err != nil {
		return Mapping{}, err
	}
	rules := maps.Clone(Default().rules)
	maps.Copy(rules, own.rules)
	return Mapping{rules: rules}, nil
}

// Types returns the Stripe event types m maps, sorted: the events to
// enable on the Stripe endpoint.
func (m Mapping) Types() []string {
	var types []string
	for typ, r := range m.rules {
		if !r.ignore {
			types = append(types, typ)
		}
	}
	slices.Sort(types)
	return types
}

// Event maps payload, the body of a Stripe webhook request, to an ahead
// event. Verify the payload first.
//
// The event's ID is "stripe_" + Stripe's event id, so a retried Stripe
// event is a repeat; OccurredAt is Stripe's created; Type, CustomerID,
// Subject and Data follow the rule for Stripe's type. A data field whose
// paths are all missing or null is left out. The event passes
// flows.ValidateEvent.
//
// The error wraps ErrIgnored for an event that is not for ahead (answer it
// 2xx); any other error is a payload that is not a Stripe event or does
// not fit its rule (answer it 400).
func (m Mapping) Event(payload []byte) (*flows.Event, error) {
	var root any
	if err := json.Unmarshal(payload, &root); err != nil {
		return nil, fmt.Errorf("decode stripe event: %w", err)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode stripe event: want a JSON object, got %s", kind(root))
	}
	id, _ := obj["id"].(string)
	typ, _ := obj["type"].(string)
	switch {
	case id == "":
		return nil, errors.New("decode stripe event: id: required")
	case typ == "":
		return nil, fmt.Errorf("decode stripe event %s: type: required", id)
	}
	created, err := integer(obj["created"], "a number of seconds")
	if err != nil {
		return nil, fmt.Errorf("decode stripe event %s: created: %w", id, err)
	}
	at := fmt.Sprintf("map stripe event %s (%s)", id, typ)
	r := m.rules[typ]
	switch {
	case r == nil:
		return nil, fmt.Errorf("%s: type not mapped: %w", at, ErrIgnored)
	case r.ignore:
		return nil, fmt.Errorf("%s: the mapping says ignore: %w", at, ErrIgnored)
	}

	ev := &flows.Event{ID: EventIDPrefix + id, Type: r.event, OccurredAt: time.Unix(created, 0).UTC()}
	var errs []error
	customer, ok, err := r.customer.id(root)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("customer (%s): %w", r.customer.src, err))
	case !ok:
		return nil, fmt.Errorf("%s: no customer at %s: %w", at, r.customer.src, ErrIgnored)
	}
	ev.CustomerID = customer
	if r.subject.src != "" {
		subject, _, err := r.subject.id(root)
		if err != nil {
			errs = append(errs, fmt.Errorf("subject (%s): %w", r.subject.src, err))
		}
		ev.Subject = subject
	}
	for _, key := range slices.Sorted(maps.Keys(r.data)) {
		v, ok, err := r.data[key].eval(root)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("data.%s (%s): %w", key, r.data[key].src, err))
		case ok:
			if ev.Data == nil {
				ev.Data = map[string]any{}
			}
			ev.Data[key] = v
		}
	}
	if len(errs) == 0 {
		for _, fe := range flows.ValidateEvent(ev) {
			errs = append(errs, fe)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", at, errors.Join(errs...))
	}
	return ev, nil
}

// id evaluates a value that names an object: a string id, or an expanded
// object's id.
func (v value) id(ev any) (string, bool, error) {
	raw, ok, err := v.eval(ev)
	if err != nil || !ok {
		return "", ok, err
	}
	if obj, isObj := raw.(map[string]any); isObj {
		raw = obj["id"]
	}
	s, isStr := raw.(string)
	if !isStr || s == "" {
		return "", false, fmt.Errorf("want an id (a string, or an object with one), got %s", kind(raw))
	}
	return s, true, nil
}

// ruleFile is a rule as written in a mapping file.
type ruleFile struct {
	Event    string            `yaml:"event"`
	Customer string            `yaml:"customer"`
	Subject  string            `yaml:"subject"`
	Data     map[string]string `yaml:"data"`
	Ignore   bool              `yaml:"ignore"`
}

// ruleKeys are the keys of a rule, for messages.
const ruleKeys = "customer, data, event, ignore, subject"

// defaultCustomerPath is where a rule finds the customer id unless it says.
const defaultCustomerPath = "data.object.customer"

var (
	typeRe    = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	dataKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// problem is one error of a mapping file.
type problem struct {
	line int
	msg  string
}

// parse reads a mapping file named file.
func parse(file string, b []byte) (Mapping, error) {
	var probs []problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, problem{line, fmt.Sprintf(format, args...)})
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlx.Line(err)
		return Mapping{}, fmt.Errorf("%s:%d: invalid YAML: %s", file, line, msg)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return Mapping{}, fmt.Errorf("%s:%d: more than one YAML document", file, next.Line)
	}
	if len(doc.Content) == 0 {
		return Mapping{rules: map[string]*rule{}}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Mapping{}, fmt.Errorf("%s:%d: want a map from Stripe event types to rules", file, root.Line)
	}

	var files map[string]ruleFile
	strict := yaml.NewDecoder(bytes.NewReader(b))
	strict.KnownFields(true)
	if err := strict.Decode(&files); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Mapping{}, fmt.Errorf("%s: %w", file, err)
		}
		for _, e := range te.Errors {
			line, msg := typeProblem(root, e)
			add(line, "%s", msg)
		}
	}

	rules := map[string]*rule{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		typ := k.Value
		if !typeRe.MatchString(typ) {
			add(k.Line, "%s: bad Stripe event type %q: want lower-case dotted words like charge.refunded", typ, typ)
			continue
		}
		if v.Tag == "!!null" {
			add(k.Line, "%s: want a rule with an event, or ignore: true", typ)
			continue
		}
		if v.Kind != yaml.MappingNode {
			continue // a type error above
		}
		f, ok := files[typ]
		if !ok {
			continue // a type error above
		}
		line := func(key string) int {
			if n := child(v, key); n != nil {
				return n.Line
			}
			return k.Line
		}
		if f.Ignore {
			for _, key := range []string{"event", "customer", "subject", "data"} {
				if child(v, key) != nil {
					add(line(key), "%s.%s: not allowed with ignore: true", typ, key)
				}
			}
			rules[typ] = &rule{ignore: true}
			continue
		}
		r := &rule{event: f.Event, data: map[string]value{}}
		switch {
		case f.Event == "":
			add(k.Line, "%s.event: required", typ)
		case !typeRe.MatchString(f.Event):
			add(line("event"), "%s.event: bad event type %q: want lower-case dotted words like subscription.created", typ, f.Event)
		}
		if f.Customer == "" {
			f.Customer = defaultCustomerPath
		}
		var err error
		if r.customer, err = parseValue(f.Customer); err != nil {
			add(line("customer"), "%s.customer: %v", typ, err)
		}
		if f.Subject != "" {
			if r.subject, err = parseValue(f.Subject); err != nil {
				add(line("subject"), "%s.subject: %v", typ, err)
			}
		}
		data := child(v, "data")
		for _, key := range slices.Sorted(maps.Keys(f.Data)) {
			src := f.Data[key]
			at := line("data")
			if data != nil {
				if n := child(data, key); n != nil {
					at = n.Line
				}
			}
			switch {
			case !dataKeyRe.MatchString(key):
				add(at, "%s.data: bad key %q: want letters, digits and '_', not starting with a digit", typ, key)
			case strings.TrimSpace(src) == "":
				add(at, "%s.data.%s: required", typ, key)
			default:
				if r.data[key], err = parseValue(src); err != nil {
					add(at, "%s.data.%s: %v", typ, key, err)
				}
			}
		}
		rules[typ] = r
	}
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b problem) int { return a.line - b.line })
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = file + ":" + strconv.Itoa(p.line) + ": " + p.msg
		}
		return Mapping{}, errors.New(strings.Join(msgs, "\n"))
	}
	return Mapping{rules: rules}, nil
}

// child returns the value of key in the mapping node n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var (
	typeErrorRe = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRe   = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	unmarshalRe = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `.*`)? into (.+)$")
)

// typeProblem turns one of yaml.v3's type errors into a problem that
// names the field: "charge.refunded.subjct: unknown key (known: …)".
func typeProblem(root *yaml.Node, e string) (int, string) {
	m := typeErrorRe.FindStringSubmatch(e)
	if m == nil {
		return 1, e
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	name := ""
	if u := unknownRe.FindStringSubmatch(msg); u != nil {
		name = u[1]
		msg = "unknown key (known: " + ruleKeys + ")"
	} else if u := unmarshalRe.FindStringSubmatch(msg); u != nil {
		msg = "want " + goType(u[2]) + ", got " + yamlKind(u[1])
	}
	if field := fieldAt(root, "", line, name); field != "" {
		msg = field + ": " + msg
	}
	return line, msg
}

// fieldAt returns the dotted name of the deepest key at line (named name,
// when given) or whose value starts at line.
func fieldAt(n *yaml.Node, prefix string, line int, name string) string {
	found := ""
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := k.Value
		if prefix != "" {
			field = prefix + "." + k.Value
		}
		if (k.Line == line && (name == "" || k.Value == name)) || (name == "" && v.Line == line) {
			found = field
		}
		if deeper := fieldAt(v, field, line, name); deeper != "" {
			return deeper
		}
	}
	return found
}

// goType names the target of a yaml.v3 type error for users.
func goType(t string) string {
	switch {
	case t == "string":
		return "a path"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "map[string]string"):
		return "a map from data keys to paths"
	case strings.HasPrefix(t, "map[string]"):
		return "a map from Stripe event types to rules"
	}
	return "a rule (" + ruleKeys + ")"
}

// yamlKind names a YAML tag for users.
func yamlKind(tag string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a map"
	case "str":
		return "a string"
	case "int", "float":
		return "a number"
	case "bool":
		return "true or false"
	}
	return tag
}
