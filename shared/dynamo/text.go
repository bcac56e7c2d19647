package dynamo

import (
	"hash/fnv"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// shardOf spreads ids evenly over n shards.
func shardOf(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}
