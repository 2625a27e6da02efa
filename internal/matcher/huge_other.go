//go:build !linux

package matcher

// hugeSlice is make([]T, 0, n) where there is no madvise (see huge_linux.go).
func hugeSlice[T any](n int) []T { return make([]T, 0, n) }
