package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aheadhq/ahead/internal/yamlx"
)

var durationType = reflect.TypeFor[Duration]()

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "AHEAD_"

var (
	tokensType       = reflect.TypeFor[[]Token]()
	webhookFlowsType = reflect.TypeFor[[]WebhookFlow]()

	// ownForm parses the lists whose environment form is not a plain
	// comma-separated list of values.
	ownForm = map[reflect.Type]func(string) (any, error){
		tokensType:       func(s string) (any, error) { return ParseTokens(s) },
		webhookFlowsType: func(s string) (any, error) { return ParseWebhookFlows(s) },
	}
)

// EnvName returns the environment variable that overrides the key at path,
// e.g. "smtp.port" → "AHEAD_SMTP_PORT".
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// Keys returns the path of every setting that has its own environment
// override, in the order of the Config struct ("redis.url", …, "log.format").
func Keys() []string {
	var keys []string
	walkLeaves(reflect.ValueOf(Default()).Elem(), "", func(_ reflect.Value, path string) {
		keys = append(keys, path)
	})
	return keys
}

// walkLeaves calls fn for every setting under v: scalars, Durations and
// lists. It does not descend into lists.
func walkLeaves(v reflect.Value, path string, fn func(v reflect.Value, path string)) {
	if v.Kind() != reflect.Struct || v.Type() == durationType {
		fn(v, path)
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		name, ok := yamlx.Key(t.Field(i))
		if !ok {
			continue
		}
		walkLeaves(v.Field(i), yamlx.Join(path, name), fn)
	}
}

// applyEnv overlays every non-empty AHEAD_… variable onto c.
func (c *Config) applyEnv(env func(string) string) error {
	var errs []error
	walkLeaves(reflect.ValueOf(c).Elem(), "", func(v reflect.Value, path string) {
		name := EnvName(path)
		s := env(name)
		if s == "" {
			return
		}
		if err := setEnv(v, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		c.setSource(path, name)
	})
	return errors.Join(errs...)
}

// setSource records that the value at path came from src, forgetting what
// was recorded for the parts of the old value.
func (c *Config) setSource(path, src string) {
	if c.src == nil {
		c.src = map[string]string{}
	}
	for k := range c.src {
		if strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			delete(c.src, k)
		}
	}
	c.src[path] = src
}

// setEnv parses an environment value into v.
func setEnv(v reflect.Value, s string) error {
	switch {
	case ownForm[v.Type()] != nil:
		x, err := ownForm[v.Type()](s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(x))
		return nil
	case v.Kind() == reflect.Slice:
		parts := splitList(s)
		if len(parts) == 0 {
			v.SetZero()
			return nil
		}
		l := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := yamlx.SetScalar(l.Index(i), p); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
		v.Set(l)
		return nil
	}
	return yamlx.SetScalar(v, s)
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseTokens parses the AHEAD_API_TOKENS form of bearer tokens: a
// comma-separated list of name:token:scope+scope, e.g.
// "crm:0123456789abcdef:events,ops:fedcba9876543210:admin". The token
// itself may contain colons; the name may not.
func ParseTokens(s string) ([]Token, error) {
	var tokens []Token
	for i, item := range splitList(s) {
		name, rest, ok := strings.Cut(item, ":")
		j := strings.LastIndexByte(rest, ':')
		if !ok || j < 0 {
			return nil, fmt.Errorf("token %d: want name:token:scope+scope, got %d part(s)", i+1, strings.Count(item, ":")+1)
		}
		t := Token{Name: strings.TrimSpace(name), Token: rest[:j]}
		for sc := range strings.SplitSeq(rest[j+1:], "+") {
			if sc = strings.TrimSpace(sc); sc != "" {
				t.Scopes = append(t.Scopes, sc)
			}
		}
		tokens = append(tokens, t)
	}
	return tokens, nil
}

// ParseWebhookFlows parses the AHEAD_WEBHOOK_FLOWS form of per-flow
// webhook URLs: a comma-separated list of flow=url, e.g.
// "late-order=https://crm.example.com/in,outage=https://ops.example.com/hook".
func ParseWebhookFlows(s string) ([]WebhookFlow, error) {
	var out []WebhookFlow
	for i, item := range splitList(s) {
		flow, u, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("item %d: want flow=url", i+1)
		}
		out = append(out, WebhookFlow{Flow: strings.TrimSpace(flow), URL: strings.TrimSpace(u)})
	}
	return out, nil
}
