package stripe

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A value says where one field of an ahead event is found in a Stripe
// event: one or more dotted paths, the first that is present wins,
// optionally passed through a function.
//
//	data.object.customer
//	data.object.items.data.0.price.nickname | data.object.items.data.0.price.id
//	time(data.object.current_period_end)
//	date(data.object.next_payment_attempt | data.object.period_end)
//	amount(data.object.amount_due, data.object.currency)
type value struct {
	src   string
	fn    string
	paths []path
	// currency is amount's second argument.
	currency []path
}

// path is a dotted path into the Stripe event; a segment that is a number
// indexes an array.
type path []string

// Functions a value may apply.
const (
	fnTime   = "time"   // Unix seconds → RFC 3339 in UTC
	fnDate   = "date"   // Unix seconds → YYYY-MM-DD in UTC
	fnAmount = "amount" // minor units → decimal string in major units
)

// defaultCurrency is where amount finds the currency when it is not given.
var defaultCurrency = []path{{"data", "object", "currency"}}

// eventFields are the top-level fields of a Stripe event, where every
// path starts.
var eventFields = []string{"account", "api_version", "context", "created", "data", "id", "livemode", "object", "pending_webhooks", "request", "type"}

var (
	callRe    = regexp.MustCompile(`^([A-Za-z_]+)\s*\((.*)\)$`)
	segmentRe = regexp.MustCompile(`^[^\s.|,()]+$`)
)

// parseValue parses the text of a value.
func parseValue(s string) (value, error) {
	s = strings.TrimSpace(s)
	v := value{src: s}
	m := callRe.FindStringSubmatch(s)
	if m == nil {
		paths, err := parseAlternatives(s)
		v.paths = paths
		return v, err
	}
	v.fn = m[1]
	args := strings.Split(m[2], ",")
	switch v.fn {
	case fnTime, fnDate:
		if len(args) != 1 {
			return v, fmt.Errorf("%s() takes one path", v.fn)
		}
	case fnAmount:
		if len(args) > 2 {
			return v, errors.New("amount() takes a path and, optionally, the path of the currency")
		}
	default:
		return v, fmt.Errorf("unknown function %q (known: %s, %s, %s)", v.fn, fnAmount, fnDate, fnTime)
	}
	var err error
	if v.paths, err = parseAlternatives(args[0]); err != nil {
		return v, err
	}
	v.currency = defaultCurrency
	if len(args) == 2 {
		v.currency, err = parseAlternatives(args[1])
	}
	return v, err
}

// parseAlternatives parses "a.b | c.d".
func parseAlternatives(s string) ([]path, error) {
	var paths []path
	for alt := range strings.SplitSeq(s, "|") {
		alt = strings.TrimSpace(alt)
		if alt == "" {
			return nil, fmt.Errorf("bad path %q: empty", strings.TrimSpace(s))
		}
		p := path(strings.Split(alt, "."))
		for _, seg := range p {
			if !segmentRe.MatchString(seg) {
				return nil, fmt.Errorf("bad path %q: want dotted names and array indexes like data.object.items.data.0.price.id", alt)
			}
		}
		if !slices.Contains(eventFields, p[0]) {
			return nil, fmt.Errorf("bad path %q: it must start at a field of the Stripe event (%s)", alt, strings.Join(eventFields, ", "))
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// eval finds the value in ev, a Stripe event decoded by encoding/json. ok is
// false when no path is present (or all are null or "").
func (v value) eval(ev any) (out any, ok bool, err error) {
	raw, ok := first(ev, v.paths)
	if !ok {
		return nil, false, nil
	}
	switch v.fn {
	case fnTime, fnDate:
		sec, err := integer(raw, "a number of seconds")
		if err != nil {
			return nil, false, err
		}
		t := time.Unix(sec, 0).UTC()
		if v.fn == fnDate {
			return t.Format(time.DateOnly), true, nil
		}
		return t.Format(time.RFC3339), true, nil
	case fnAmount:
		minor, err := integer(raw, "a whole number of minor units")
		if err != nil {
			return nil, false, err
		}
		cur, _ := first(ev, v.currency)
		code, _ := cur.(string)
		return decimal(minor, code), true, nil
	}
	return raw, true, nil
}

// first returns the value at the first of paths that is present, not null
// and not "".
func first(ev any, paths []path) (any, bool) {
	for _, p := range paths {
		if v, ok := lookup(ev, p); ok && v != nil && v != "" {
			return v, true
		}
	}
	return nil, false
}

// lookup follows p through objects and arrays.
func lookup(node any, p path) (any, bool) {
	for _, seg := range p {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[seg]
			if !ok {
				return nil, false
			}
			node = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
	}
	return node, true
}

// maxExact is the largest integer a JSON number decoded as float64 holds
// exactly.
const maxExact = 1 << 53

// integer reads a JSON number that is a whole number.
func integer(v any, want string) (int64, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("want %s, got %s", want, kind(v))
	}
	if f != math.Trunc(f) || math.Abs(f) > maxExact {
		return 0, fmt.Errorf("want %s, got %v", want, f)
	}
	return int64(f), nil
}

// kind names the JSON kind of v for messages.
func kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "null"
}

// Currencies whose minor unit is not a hundredth in Stripe's API
// (https://docs.stripe.com/currencies).
var (
	zeroDecimal  = []string{"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
	threeDecimal = []string{"bhd", "jod", "kwd", "omr", "tnd"}
)

// decimal writes an amount in minor units of currency in major units:
// 2395 eur → "23.95", 500 jpy → "500", 5120 kwd → "5.120". An unknown or
// missing currency has two decimals.
func decimal(minor int64, currency string) string {
	digits := 2
	switch c := strings.ToLower(currency); {
	case slices.Contains(zeroDecimal, c):
		return strconv.FormatInt(minor, 10)
	case slices.Contains(threeDecimal, c):
		digits = 3
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	s := fmt.Sprintf("%0*d", digits+1, u)
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}
