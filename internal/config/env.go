package config

import (
	"fmt"
	"strconv"
	"time"
)

// env reads variables; an empty one takes the default, written once at
// the call. Load reads the process's environment, Default an empty one.
type env func(string) string

func noEnv(string) string { return "" }

func (e env) whole(name string, def int64) (int64, error) {
	v := e(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive whole number", name, v)
	}
	return n, nil
}

func (e env) duration(name string, def time.Duration) (time.Duration, error) {
	v := e(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive duration (e.g. 20m)", name, v)
	}
	return d, nil
}

// wholeUnits reads a whole number of unit (hours, days) as a duration.
func (e env) wholeUnits(name string, def int64, unit time.Duration) (time.Duration, error) {
	n, err := e.whole(name, def)
	return time.Duration(n) * unit, err
}
