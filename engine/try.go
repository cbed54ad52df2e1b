package engine

import "context"

// Try says which try of a step task is running: N counts the tries before
// this one and Max the retries allowed. The task layer sets it with WithTry;
// a step run without it never gives up on a transient failure by itself.
type Try struct {
	N, Max int
}

type tryKey struct{}

// WithTry returns ctx carrying the try of the step task it runs.
func WithTry(ctx context.Context, t Try) context.Context {
	return context.WithValue(ctx, tryKey{}, t)
}

// tryOf returns the try ctx carries, and whether it carries one.
func tryOf(ctx context.Context) (t Try, known bool) {
	t, known = ctx.Value(tryKey{}).(Try)
	return t, known
}
