package templates

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// funcs returns the functions a template file of locale may call. They
// format in the file's own locale, so a Dutch file writes 30 november 2026
// and € 23,95 while an English one writes 30 November 2026 and €23.95.
//
//	date VALUE   a date (2026-11-30, an RFC 3339 time, or a time.Time) in words
//	money VALUE  an amount ("23.9", 23.9) with two decimals and the locale's
//	             separators; the template writes the currency itself
func funcs(locale string) map[string]any {
	return map[string]any{
		"date":  func(v any) (string, error) { return formatDate(locale, v) },
		"money": func(v any) (string, error) { return formatMoney(locale, v) },
	}
}

var monthsNL = [...]string{
	"januari", "februari", "maart", "april", "mei", "juni",
	"juli", "augustus", "september", "oktober", "november", "december",
}

// formatDate writes v as a date in words for locale. Languages it does not
// know get the ISO form, 2026-11-30.
func formatDate(locale string, v any) (string, error) {
	var t time.Time
	switch v := v.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v == nil {
			return "", errors.New("date: no value")
		}
		t = *v
	case string:
		var err error
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			if t, err = time.Parse(time.RFC3339, v); err != nil {
				return "", fmt.Errorf("date: %q is not a date like 2026-11-30", v)
			}
		}
	case nil:
		return "", errors.New("date: no value")
	default:
		return "", fmt.Errorf("date: a %T is not a date", v)
	}
	switch {
	case language(locale) == "nl":
		return fmt.Sprintf("%d %s %d", t.Day(), monthsNL[t.Month()-1], t.Year()), nil
	case locale == "en-US":
		return t.Format("January 2, 2006"), nil
	case language(locale) == "en":
		return t.Format("2 January 2006"), nil
	}
	return t.Format(time.DateOnly), nil
}

// formatMoney writes the amount v with two decimals, rounding halves away
// from zero, and with the decimal and thousands separators of locale.
func formatMoney(locale string, v any) (string, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = strings.TrimSpace(v)
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case nil:
		return "", errors.New("money: no value")
	default:
		return "", fmt.Errorf("money: a %T is not an amount", v)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/eE") {
		return "", fmt.Errorf("money: %q is not an amount like 23.95", s)
	}
	fixed := r.FloatString(2) // "-1234.50"
	sign := ""
	if strings.HasPrefix(fixed, "-") {
		fixed = fixed[1:]
		if strings.Trim(fixed, "0.") != "" {
			sign = "-"
		}
	}
	whole, frac, _ := strings.Cut(fixed, ".")
	point, group := ".", ","
	switch language(locale) {
	case "nl", "de":
		point, group = ",", "."
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	return sign + b.String() + point + frac, nil
}
