package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/accesshive/accesshive/infra/samtemplate"
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
	evs, err := samtemplate.Events[struct {
		ScheduleExpression string `json:"ScheduleExpression"`
		Input              string `json:"Input"`
	}](s.Template, "ScheduleV2")
	if err != nil {
		return nil, err
	}
	units := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}
	out := make([]Schedule, 0, len(evs))
	for _, ev := range evs {
		m := rateExpr.FindStringSubmatch(ev.Properties.ScheduleExpression)
		if m == nil {
			return nil, fmt.Errorf("%s.%s: only rate(...) schedules run locally, not %q", ev.Function, ev.Name, ev.Properties.ScheduleExpression)
		}
		n, _ := strconv.Atoi(m[1])
		input := json.RawMessage(`{}`)
		if ev.Properties.Input != "" {
			input = json.RawMessage(ev.Properties.Input)
		}
		out = append(out, Schedule{Function: ev.Function, Name: ev.Name, Every: time.Duration(n) * units[m[2]], Input: input})
	}
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
