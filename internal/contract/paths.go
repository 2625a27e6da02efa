package contract

import (
	"fmt"
	"reflect"
	"strings"
)

// Field is the JSON name of a field of v's struct type: Field(PackerRequest{},
// "RunID") is "run_id". It panics on a field the type does not have, so a
// definition built from it fails at synthesis, in a test.
func Field(v any, field string) string {
	name, _ := lookup(reflect.TypeOf(v), field)
	return name
}

// Fields is Field for several fields of one type.
func Fields(v any, fields ...string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = Field(v, f)
	}
	return out
}

// Path is the JsonPath of a field of the execution's State: Path("Reconcile",
// "RunID") is "$.reconcile.run_id".
func Path(fields ...string) string {
	t := reflect.TypeOf(State{})
	var b strings.Builder
	b.WriteString("$")
	for _, f := range fields {
		name, ft := lookup(t, f)
		b.WriteString("." + name)
		t = ft
	}
	return b.String()
}

// lookup finds a field (embedded structs included) and returns its JSON
// name and its type, pointers and slices taken off.
func lookup(t reflect.Type, field string) (string, reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	sf, ok := t.FieldByName(field)
	if !ok {
		panic(fmt.Sprintf("contract: %s has no field %s", t.Name(), field))
	}
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		panic(fmt.Sprintf("contract: %s.%s has no JSON name", t.Name(), field))
	}
	ft := sf.Type
	for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
		ft = ft.Elem()
	}
	return name, ft
}
