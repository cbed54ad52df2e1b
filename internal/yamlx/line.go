package yamlx

import (
	"regexp"
	"strconv"
	"strings"
)

var linePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Line splits a yaml.v3 error into its line (1 when it names none) and
// its message without the "yaml: " prefix.
func Line(err error) (line int, msg string) {
	msg = err.Error()
	if m := linePattern.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		return line, m[2]
	}
	return 1, strings.TrimPrefix(msg, "yaml: ")
}
