package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

// base holds the look every page shares: base.css and favicon.svg.
//
//go:embed static
var base embed.FS

var staticTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// Static returns a handler for GET PREFIX/static/{file}: the file from
// own (a page's style sheet or script), else from the shared base.css
// and favicon.svg. Only style sheets, scripts and SVG images are served.
func Static(own fs.FS) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.PathValue("file"))
		typ, ok := staticTypes[path.Ext(name)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(own, name)
		if err != nil {
			b, err = base.ReadFile("static/" + name)
		}
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", typ)
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(b)
	}
}
