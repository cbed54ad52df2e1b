package yamlline

import (
	"regexp"
	"strconv"
	"strings"
)

var pattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Split splits a yaml.v3 error into its line (1 when it names none) and
// its message without the "yaml: " prefix.
func Split(err error) (line int, msg string) {
	msg = err.Error()
	if m := pattern.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		return line, m[2]
	}
	return 1, strings.TrimPrefix(msg, "yaml: ")
}
