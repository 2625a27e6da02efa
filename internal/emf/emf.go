// Package emf writes CloudWatch metrics in the embedded metric format: a
// JSON log line that CloudWatch Logs turns into a metric, no API call
// needed (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Namespace is the project's metric namespace.
const Namespace = "GisPayments"

// Write emits one value of the metric name. With dimensions, the value is
// recorded twice: under those dimensions and under none, so that one alarm
// can watch every key (the minimum over all of them) and a dashboard each.
func Write(w io.Writer, now time.Time, name, unit string, value float64, dimensions map[string]string) error {
	keys := slices.Sorted(maps.Keys(dimensions))
	sets := [][]string{{}}
	if len(keys) > 0 {
		sets = [][]string{keys, {}}
	}
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace": Namespace, "Dimensions": sets,
				"Metrics": []any{map[string]string{"Name": name, "Unit": unit}},
			}},
		},
		name: value,
	}
	for k, v := range dimensions {
		if k == name || k == "_aws" {
			return fmt.Errorf("emf: dimension %q clashes with the metric", k)
		}
		line[k] = v
	}
	data, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
