// Package yamlline reads the line number out of a yaml.v3 error, so that
// the flow and template loaders can report "file:line: message".
package yamlline
