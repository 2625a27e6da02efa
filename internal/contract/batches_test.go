package contract

import (
	"reflect"
	"testing"
)

func TestBatches(t *testing.T) {
	for _, tt := range []struct {
		ids  []int64
		want [][]int64
	}{
		{nil, [][]int64{}},
		{[]int64{1, 2, 3}, [][]int64{{1, 2, 3}}},
		{[]int64{1, 2, 3, 4, 5}, [][]int64{{1, 2}, {3, 4}, {5}}},
		{[]int64{1, 2, 3, 4}, [][]int64{{1, 2}, {3, 4}}},
	} {
		size := 2
		if len(tt.ids) == 3 {
			size = 3
		}
		if got := Batches(tt.ids, size); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Batches(%v, %d) = %v, want %v", tt.ids, size, got, tt.want)
		}
	}
}
