package localstack

import "github.com/aws/aws-lambda-go/events"

// Test-only access to the stream sources and the filter matcher.

func (s *Stack) StreamSourcesForTest() ([]*StreamSource, error) { return s.streamSources() }

func MatchesFilters(filters []map[string]any, ev events.DynamoDBEventRecord) bool {
	return matchesAny(filters, ev)
}
