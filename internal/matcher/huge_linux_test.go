package matcher

import (
	"reflect"
	"runtime"
	"testing"
	"unsafe"
)

// hugeSlice allocates its arrays as bytes, which the collector does not
// scan: the types it holds must have no pointers.
func TestHugeSliceTypesHoldNoPointers(t *testing.T) {
	var pointers func(reflect.Type) bool
	pointers = func(t reflect.Type) bool {
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				if pointers(t.Field(i).Type) {
					return true
				}
			}
			return false
		case reflect.Array:
			return pointers(t.Elem())
		}
		return t.Kind() < reflect.Bool || t.Kind() > reflect.Complex128
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[billingRow](), reflect.TypeFor[order](), reflect.TypeFor[slot](), reflect.TypeFor[byte]()} {
		if pointers(typ) {
			t.Errorf("%v holds pointers: hugeSlice must not hold it", typ)
		}
	}
}

// A large array starts on a huge page's boundary and fills whole huge
// pages; a small one is an ordinary slice. Either has room for n.
func TestHugeSliceAligned(t *testing.T) {
	var pads [][]byte // kept, so that the next array does not start where the last did
	for _, n := range []int{1, 1000, 100_000, 300_001, 200_000} {
		pads = append(pads, make([]byte, 3<<20+24<<10))
		s := hugeSlice[billingRow](n)
		if len(s) != 0 || cap(s) < n {
			t.Fatalf("n %d: len %d, cap %d", n, len(s), cap(s))
		}
		s = s[:cap(s)]
		s[len(s)-1].line = 1 // writable to the end
		size := unsafe.Sizeof(s[0])
		bytes := uintptr(cap(s)) * size
		short := (hugePage - bytes%hugePage) % hugePage // of whole huge pages
		if uintptr(n)*size >= 2*hugePage && (uintptr(unsafe.Pointer(&s[0]))%hugePage != 0 || short >= size) {
			t.Errorf("n %d: array at %p, %d bytes", n, &s[0], bytes)
		}
	}
	runtime.KeepAlive(pads)
}
