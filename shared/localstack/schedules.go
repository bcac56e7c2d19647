package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Schedule is a ScheduleV2 event of a template function.
type Schedule struct {
	Function string
	Name     string
	Every    time.Duration
	Input    json.RawMessage
}

var rateExpr = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// Schedules reads the template's ScheduleV2 events (rate expressions).
func (s *Stack) Schedules() ([]Schedule, error) {
	fns, err := s.Template.Functions()
	if err != nil {
		return nil, err
	}
	var out []Schedule
	for id, fn := range fns {
		for name, ev := range fn.Events {
			if ev.Type != "ScheduleV2" {
				continue
			}
			var p struct {
				ScheduleExpression string `json:"ScheduleExpression"`
				Input              string `json:"Input"`
			}
			if err := json.Unmarshal(ev.Properties, &p); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", id, name, err)
			}
			m := rateExpr.FindStringSubmatch(p.ScheduleExpression)
			if m == nil {
				return nil, fmt.Errorf("%s.%s: only rate(...) schedules run locally, not %q", id, name, p.ScheduleExpression)
			}
			n, _ := strconv.Atoi(m[1])
			unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[m[2]]
			input := json.RawMessage(`{}`)
			if p.Input != "" {
				input = json.RawMessage(p.Input)
			}
			out = append(out, Schedule{Function: id, Name: name, Every: time.Duration(n) * unit, Input: input})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function+out[i].Name < out[j].Function+out[j].Name })
	return out, nil
}

// StartSchedules fires every schedule at its rate, or at every when positive, until
// ctx ends. Failures are logged, as the scheduler's retries would show them.
func (s *Stack) StartSchedules(ctx context.Context, every time.Duration) ([]Schedule, error) {
	scheds, err := s.Schedules()
	if err != nil {
		return nil, err
	}
	for i := range scheds {
		sc := &scheds[i]
		if every > 0 {
			sc.Every = every
		}
		go func(sc Schedule) {
			t := time.NewTicker(sc.Every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := s.Invoke(ctx, sc.Function, sc.Input); err != nil && ctx.Err() == nil {
						s.log.Error("scheduled invocation failed", "function", sc.Function, "schedule", sc.Name, "error", err.Error())
					}
				}
			}
		}(*sc)
	}
	return scheds, nil
}
