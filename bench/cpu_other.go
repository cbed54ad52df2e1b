//go:build !unix

package bench

import "time"

// selfCPU is not measured on this system: the CPU figures of ahead's
// process read 0.
func selfCPU() time.Duration { return 0 }
