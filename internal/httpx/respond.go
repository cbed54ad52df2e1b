package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// JSON answers v as indented JSON with status code.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Error answers an error message with its details, one per field.
func Error(w http.ResponseWriter, code int, msg string, details ...string) {
	body := map[string]any{"error": msg}
	if len(details) > 0 {
		body["errors"] = details
	}
	JSON(w, code, body)
}

// Internal logs err and answers 500 or, when the store is unreachable
// (err wraps unavailable), 503 with Retry-After.
func Internal(log *slog.Logger, w http.ResponseWriter, r *http.Request, err, unavailable error) {
	log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	if errors.Is(err, unavailable) {
		w.Header().Set("Retry-After", "5")
		Error(w, http.StatusServiceUnavailable, "storage unavailable; nothing was accepted, try again")
		return
	}
	Error(w, http.StatusInternalServerError, "internal error; nothing was accepted")
}
