package reportpage

import (
	"math"
	"strconv"

	"github.com/aheadhq/ahead/internal/web"
	"github.com/aheadhq/ahead/stats"
)

// barView draws intervals of a difference as bars on one axis around a
// zero line: inline SVG whose positions are percentages of its width, so
// that it needs no script and no inline style. Every row has a text
// alternative and its numbers beside it.
type barView struct {
	// Caption says what the axis measures and which side is which.
	Caption string
	Rows    []barRow
	Ticks   []barTick
	// Zero is where zero lies, in percent of the width.
	Zero string
}

type barRow struct {
	Label string // 95% interval, always-valid interval
	Class string // ci, seq
	// X and W place the interval; Dot the estimate ("" for none).
	X, W, Dot string
	// Text gives the numbers beside the bar; Alt says it all in words.
	Text, Alt string
}

type barTick struct{ X, Label string }

// axisMargin keeps the ends of the axis off the edges, in percent.
const axisMargin = 5.0

// newBar draws the 95% interval ci and, when there is one, the
// always-valid interval seq, both multiplied by scale (100 for
// percentage points), on an axis symmetric around zero. f writes a
// scaled value; unit names the scaled unit ("points").
func newBar(l web.Lang, ci stats.Interval, seq *stats.Interval, conf, scale float64, f func(web.Lang, float64) string, unit, caption string) *barView {
	ext := math.Max(math.Abs(ci.Lo), math.Abs(ci.Hi))
	if seq != nil {
		ext = math.Max(ext, math.Max(math.Abs(seq.Lo), math.Abs(seq.Hi)))
	}
	m := niceCeil(ext * scale * 1.05)
	x := func(v float64) float64 { return 50 + (50-axisMargin)*v*scale/m }
	b := &barView{Caption: caption, Zero: pc(x(0))}
	row := func(label, class string, iv stats.Interval, dot bool) barRow {
		r := barRow{Label: label, Class: class, X: pc(x(iv.Lo)), W: pc(x(iv.Hi) - x(iv.Lo))}
		where := catalog.T(l, "bar_"+string(iv.Verdict()))
		if dot {
			r.Dot = pc(x(iv.Est))
			r.Text = catalog.T(l, "bar_est", f(l, iv.Est*scale), span(l, iv.Lo*scale, iv.Hi*scale, f))
			r.Alt = catalog.T(l, "bar_alt_est", label, span(l, iv.Lo*scale, iv.Hi*scale, f), unit, f(l, iv.Est*scale), where)
		} else {
			r.Text = span(l, iv.Lo*scale, iv.Hi*scale, f)
			r.Alt = catalog.T(l, "bar_alt", label, span(l, iv.Lo*scale, iv.Hi*scale, f), unit, where)
		}
		return r
	}
	b.Rows = append(b.Rows, row(catalog.T(l, "bar_ci", number(l, conf*100, 0)), "ci", ci, true))
	if seq != nil {
		b.Rows = append(b.Rows, row(catalog.T(l, "bar_seq"), "seq", *seq, false))
	}
	for _, t := range []float64{-m, -m / 2, 0, m / 2, m} {
		b.Ticks = append(b.Ticks, barTick{X: pc(50 + (50-axisMargin)*t/m), Label: tickLabel(l, t)})
	}
	return b
}

// niceCeil rounds v up to 1, 2, 3, 4, 5, 6 or 8 times a power of ten, so
// that the axis ends and halves are round numbers.
func niceCeil(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, n := range []float64{1, 2, 3, 4, 5, 6, 8, 10} {
		if n*p >= v*(1-1e-9) {
			return n * p
		}
	}
	return 10 * p
}

// tickLabel writes an axis value with as few decimals as it needs.
func tickLabel(l web.Lang, v float64) string {
	for d := 0; d < 4; d++ {
		if math.Abs(v*math.Pow(10, float64(d))-math.Round(v*math.Pow(10, float64(d)))) < 1e-6 {
			return number(l, v, d)
		}
	}
	return number(l, v, 4)
}

// pc writes a position in percent of the width, as SVG takes it.
func pc(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }
