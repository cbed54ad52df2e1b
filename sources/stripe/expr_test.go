package stripe

import "testing"

func TestDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{2395, "eur", "23.95"},
		{2395, "EUR", "23.95"},
		{5, "usd", "0.05"},
		{0, "usd", "0.00"},
		{-150, "eur", "-1.50"},
		{-5, "eur", "-0.05"},
		{500, "jpy", "500"},
		{-500, "krw", "-500"},
		{5120, "kwd", "5.120"},
		{7, "bhd", "0.007"},
		{100, "isk", "1.00"},
		{2395, "", "23.95"},
	}
	for _, tt := range tests {
		if got := decimal(tt.minor, tt.currency); got != tt.want {
			t.Errorf("decimal(%d, %q) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestParseValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, err string
	}{
		{"data.object.customer", ""},
		{" data.object.a | data.object.b ", ""},
		{"amount(data.object.amount)", ""},
		{"amount(data.object.amount, data.object.currency | data.object.default_currency)", ""},
		{"date(data.object.a | data.object.b)", ""},
		{"time(data.object.a, data.object.b)", "time() takes one path"},
		{"amount(data.object.a, data.object.b, data.object.c)", "amount() takes a path and, optionally, the path of the currency"},
		{"upper(data.object.a)", `unknown function "upper" (known: amount, date, time)`},
		{"", `bad path "": empty`},
		{"data.object.a b", `bad path "data.object.a b": want dotted names and array indexes like data.object.items.data.0.price.id`},
		{"date()", `bad path "": empty`},
	}
	for _, tt := range tests {
		_, err := parseValue(tt.src)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("parseValue(%q) = %q, want %q", tt.src, got, tt.err)
		}
	}
}
