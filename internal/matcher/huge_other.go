//go:build !linux

package matcher

// hugePages is hugePages of huge_linux.go where there is no madvise.
func hugePages[T any](s []T) []T { return s }
