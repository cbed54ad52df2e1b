package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Every list route takes a limit from 1 to 5000 and names it otherwise.
func TestListRoutesCheckLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post(ev("evt_1", "cus_1"))
	for _, route := range []string{"/v1/customers/cus_1/timeline", "/v1/outbox", "/v1/callbacks?queue=retention"} {
		sep := "?"
		if strings.Contains(route, "?") {
			sep = "&"
		}
		for _, bad := range []string{"0", "-1", "5001", "x", "1.5"} {
			r := e.do("GET", route+sep+"limit="+bad, "", "")
			if r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "limit: must be a whole number from 1 to 5000") {
				t.Errorf("GET %s limit=%s: %s, want 400 naming limit", route, bad, r)
			}
		}
		if r := e.do("GET", route+sep+"limit=5000", "", ""); r.code != http.StatusOK {
			t.Errorf("GET %s limit=5000: %s", route, r)
		}
	}
}
