package twilio

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestRewriteReachesEveryHost sends requests for the hosts twilio-go builds
// URLs from to the rewriting transport and checks that each reaches the
// API URL, with its path and query kept.
func TestRewriteReachesEveryHost(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Host+" "+r.URL.RequestURI())
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	base, err := parseBase(srv.URL + "/mock/")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &rewrite{base: base, next: http.DefaultTransport}}
	urls := []string{
		"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
		"https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
		"https://messaging.twilio.com/v1/Services?PageSize=50",
		"https://content.twilio.com/v1/Content/HX1",
		"http://localhost/x",
	}
	for _, u := range urls {
		res, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		res.Body.Close()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	for i, u := range urls {
		p, _ := url.Parse(u)
		want := host + " /mock" + p.RequestURI()
		if i >= len(got) || got[i] != want {
			t.Errorf("request for %s arrived as %q, want %q", u, at(got, i), want)
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}
