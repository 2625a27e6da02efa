//go:build !linux

package main

// hugePageHeap is hugePageHeap of heap_linux.go where there is no madvise.
func hugePageHeap(int) {}
