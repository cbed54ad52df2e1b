package store

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// call is one run of a script in a pipeline (see evalAll).
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// evalAll runs calls in one pipeline by each script's SHA, so that Redis
// is not sent a script's body with every call. Calls that find their
// script not loaded (Redis restarted, a cluster node that never ran it)
// run again, in their order, with the body, which Redis then keeps. The
// result of each call is in its cmd; the error is the pipeline's first
// other than NOSCRIPT and redis.Nil.
func (s base) evalAll(ctx context.Context, calls []*call) error {
	err := s.pipeline(ctx, calls, (*redis.Script).EvalSha)
	var again []*call
	for _, c := range calls {
		if isNoScript(c.cmd.Err()) {
			again = append(again, c)
		}
	}
	if len(again) > 0 {
		err = s.pipeline(ctx, again, (*redis.Script).Eval)
	}
	return err
}

func (s base) pipeline(ctx context.Context, calls []*call,
	eval func(*redis.Script, context.Context, redis.Scripter, []string, ...any) *redis.Cmd) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range calls {
			c.cmd = eval(c.script, ctx, p, c.keys, c.args...)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) && !isNoScript(err) {
		return err
	}
	return nil
}

func isNoScript(err error) bool {
	return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT")
}
