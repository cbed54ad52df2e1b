package templates

import "testing"

func TestParseFileName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want fileName
		err  string
	}{
		{file: "first-invoice-explainer.email.nl.informal.tmpl",
			want: fileName{name: "first-invoice-explainer", channel: "email", locale: "nl", formality: "informal"}},
		{file: "first-invoice-explainer.email.nl.informal.html.tmpl",
			want: fileName{name: "first-invoice-explainer", channel: "email", locale: "nl", formality: "informal", html: true}},
		{file: "first-invoice-explainer.email.en.html.tmpl",
			want: fileName{name: "first-invoice-explainer", channel: "email", locale: "en", html: true}},
		{file: "reassurance_call.callback.en-GB.tmpl",
			want: fileName{name: "reassurance_call", channel: "callback", locale: "en-GB"}},
		{file: "status.whatsapp.es-419.formal.tmpl",
			want: fileName{name: "status", channel: "whatsapp", locale: "es-419", formality: "formal"}},
		{file: "x.sms.nl.txt", err: "not a template file (want NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl)"},
		{file: "x.sms.tmpl", err: "bad template file name (want NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl)"},
		{file: "x.sms.nl.formal.extra.tmpl", err: "bad template file name (want NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl)"},
		{file: "X.sms.nl.tmpl", err: `template name "X" may hold only a-z, 0-9, "-" and "_"`},
		{file: ".sms.nl.tmpl", err: `template name "" may hold only a-z, 0-9, "-" and "_"`},
		{file: "x.fax.nl.tmpl", err: `unknown channel "fax"`},
		{file: "x.sms.NL.tmpl", err: `locale "NL" is not like nl, en or en-GB`},
		{file: "x.sms.en-gb.tmpl", err: `locale "en-gb" is not like nl, en or en-GB`},
		{file: "x.sms.en_GB.tmpl", err: `locale "en_GB" is not like nl, en or en-GB`},
		{file: "x.sms.nl.polite.tmpl", err: `formality "polite" is not informal or formal`},
		{file: "x.sms.nl.html.tmpl", err: `an HTML twin is only used for channel "email"`},
	}
	for _, tt := range tests {
		got, err := parseFileName(tt.file)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseFileName(%q) error = %v, want %q", tt.file, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFileName(%q): %v", tt.file, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseFileName(%q) = %+v, want %+v", tt.file, got, tt.want)
		}
		if got.String() != tt.file {
			t.Errorf("parseFileName(%q).String() = %q", tt.file, got.String())
		}
	}
}

func TestNormalizeLocale(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nl": "nl", "NL": "nl", "en-GB": "en-GB", "en_gb": "en-GB", " EN-us ": "en-US", "": "",
	} {
		if got := normalizeLocale(in); got != want {
			t.Errorf("normalizeLocale(%q) = %q, want %q", in, got, want)
		}
	}
}

// A name that parses is written back the same way.
func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"a.email.nl.informal.html.tmpl", "b.sms.en-GB.tmpl", "x.tmpl", "..tmpl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := parseFileName(s)
		if err == nil && fn.String() != s {
			t.Errorf("parseFileName(%q).String() = %q", s, fn.String())
		}
	})
}
