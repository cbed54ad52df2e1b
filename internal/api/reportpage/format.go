package reportpage

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/web"
	"github.com/aheadhq/ahead/stats"
)

// The numbers on the page are written for people: thousands separators,
// a decimal point (English) or comma (Dutch), a true minus sign, rates
// as percentages with one decimal.

const minus = "−"

// number writes x with d decimals and thousands separators in l:
// 18,045.5 in English, 18.045,5 in Dutch. A value that rounds to zero
// has no sign.
func number(l web.Lang, x float64, d int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', d, 64)
	whole, frac, _ := strings.Cut(s, ".")
	sep, point := ",", "."
	if l == web.NL {
		sep, point = ".", ","
	}
	var b strings.Builder
	if x < 0 && strings.Trim(s, "0.") != "" {
		b.WriteString(minus)
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String()
}

// count writes a whole number: 18,045.
func count(l web.Lang, n int) string { return number(l, float64(n), 0) }

// perThousand writes a count per 1,000 entrants: whole from 10 up, with
// one decimal below (2.5).
func perThousand(l web.Lang, x float64) string {
	if math.Abs(x) >= 9.95 {
		return number(l, x, 0)
	}
	return number(l, x, 1)
}

// percent writes a share as a percentage with one decimal: 9.7%.
func percent(l web.Lang, p float64) string { return number(l, p*100, 1) + "%" }

// span writes an interval's bounds with f: "131–170", and "−4 to 20"
// when a bound is negative, where a dash would read as a minus.
func span(l web.Lang, lo, hi float64, f func(web.Lang, float64) string) string {
	if f(l, lo) == f(l, hi) {
		return f(l, lo)
	}
	if lo < 0 || hi < 0 {
		return catalog.T(l, "to", f(l, lo), f(l, hi))
	}
	// Word joiners keep the bounds and the dash on one line.
	return f(l, lo) + "\u2060–\u2060" + f(l, hi)
}

// points writes a difference of rates in percentage points, one decimal.
func points(l web.Lang, d float64) string { return oneDecimal(l, d*100) }

// oneDecimal writes x with one decimal.
func oneDecimal(l web.Lang, x float64) string { return number(l, x, 1) }

// relative writes a relative difference as a whole percentage: −61%.
func relative(l web.Lang, r float64) string { return number(l, r*100, 0) + "%" }

// pValue writes a p-value with two significant digits and how it
// compares: "= 0.29", "= 0.00012", and below 0.0001 "< 0.0001".
func pValue(l web.Lang, p float64) string {
	if p < 0.0001 {
		return "< " + number(l, 0.0001, 4)
	}
	s := strconv.FormatFloat(p, 'g', 2, 64)
	if l == web.NL {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return "= " + s
}

// day writes a date: 7 Jan 2030, 7 jan 2030.
func day(l web.Lang, t time.Time) string { return web.Format(l, t.UTC(), "2 Jan 2006") }

// stamp writes a moment in UTC: 7 Jan 2030 09:00 UTC.
func stamp(l web.Lang, t time.Time) string { return web.Format(l, t.UTC(), "2 Jan 2006 15:04 MST") }

// ivl writes an estimate with its interval: "150 (95% CI 131–170)".
func ivl(l web.Lang, iv stats.Interval, conf float64, f func(web.Lang, float64) string) string {
	return catalog.T(l, "est_ci", f(l, iv.Est), number(l, conf*100, 0), span(l, iv.Lo, iv.Hi, f))
}

// ivlUnit writes an estimate in unit with its interval: "−18.3 points
// (95% CI −24.8 to −12.5)".
func ivlUnit(l web.Lang, iv stats.Interval, conf float64, f func(web.Lang, float64) string, unit string) string {
	return catalog.T(l, "est_unit_ci", f(l, iv.Est), unit, number(l, conf*100, 0), span(l, iv.Lo, iv.Hi, f))
}
