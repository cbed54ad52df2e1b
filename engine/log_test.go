package engine

import "testing"

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"550 5.1.1 <anna.devries@example.nl>: mailbox unavailable":        "550 5.1.1 <a***@example.nl>: mailbox unavailable",
		"21211: The 'To' number +31612345678 is not a valid phone number": "21211: The 'To' number +31*******78 is not a valid phone number",
		"gave up after 9 tries: dial tcp 10.0.0.1:25: i/o timeout":        "gave up after 9 tries: dial tcp 10.0.0.1:25: i/o timeout",
		"try 0612345678 again": "try 06******78 again",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
