package matcher

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// hugeSlice returns an empty slice with room for at least n elements of
// a type without pointers, whose array is backed by transparent huge
// pages where the kernel's THP setting is "madvise", the usual default
// (the Go runtime does not ask for them). The matcher's indexes are tens
// of megabytes written once and read at random; in 4 KiB pages that is
// thousands of page faults, on a virtual machine each dearer than the
// rows it holds. The array starts on a 2 MiB boundary and fills whole
// huge pages, so that no part of it falls in 4 KiB ones, and it is asked
// for when freshly allocated, untouched: the part never written is never
// faulted in (a range of heap freed to be allocated again would be
// cleared by the runtime first, all of it). Arrays under two huge pages
// are left as they are. Only speed depends on it: where the kernel
// refuses, nothing changes.
func hugeSlice[T any](n int) []T {
	size := unsafe.Sizeof(*new(T))
	bytes := (uintptr(n)*size + hugePage - 1) &^ (hugePage - 1)
	if bytes < 2*hugePage {
		return make([]T, 0, n)
	}
	b := make([]byte, bytes+hugePage) // without pointers, as T is
	off := -uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (hugePage - 1)
	b = b[off : off+bytes]
	syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), bytes/size)[:0]
}
