package matcher

import (
	"syscall"
	"unsafe"
)

// hugePages asks the kernel to back s's array with transparent huge pages
// (2 MiB) where its THP setting is "madvise", the usual default: the Go
// runtime does not ask for them. The matcher's indexes are tens of
// megabytes written once and read at random; in 4 KiB pages that is
// thousands of page faults, on a virtual machine each dearer than the rows
// it holds. It is asked of a freshly allocated array, which nothing has
// touched yet, so the part of its capacity never written is never faulted
// in (a range of heap freed to be allocated again would be cleared by the
// runtime first, all of it). Only speed depends on it: where the kernel
// refuses, nothing changes.
func hugePages[T any](s []T) []T {
	if c := cap(s); c > 0 {
		b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:c]))), uintptr(c)*unsafe.Sizeof(s[0]))
		syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	}
	return s
}
