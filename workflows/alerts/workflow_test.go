package alerts

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
)

// TestWorkflowRechecksInFlight: an A3 whose pack's upload is in flight is looked at again
// after Recheck; once the chunk is accepted the finding changes and the workflow ends.
func TestWorkflowRechecksInFlight(t *testing.T) {
	cases := []struct {
		name     string
		statuses []string // upload status seen by each look
		max      int
		want     string
		looks    int
	}{
		{"settles", []string{"delivering", "delivering", "accepted"}, 10, CauseHubInconsistent, 3},
		{"gives up", []string{"delivering", "delivering", "delivering"}, 2, CauseInFlight, 3},
		{"no recheck", []string{"rejected"}, 10, CauseUploadFailed, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *Activities
			looks, records := 0, 0
			env.OnActivity(a.Facts, mock.Anything, "X1").Return(func(_ context.Context, _ string) (Investigation, error) {
				st := c.statuses[min(looks, len(c.statuses)-1)]
				looks++
				return Investigation{Alert: Alert{Code: "A3", Serial: "S1"}, Facts: Facts{Commissioned: true, Uploaded: true, UploadStatus: st}}, nil
			})
			env.OnActivity(a.Record, mock.Anything, mock.Anything).Return(func(_ context.Context, _ RecordInput) error {
				records++
				return nil
			})
			start := env.Now()
			env.ExecuteWorkflow(Workflow, Input{AlertID: "X1", Recheck: time.Minute, MaxRechecks: c.max})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var f Finding
			if err := env.GetWorkflowResult(&f); err != nil {
				t.Fatal(err)
			}
			if f.Cause != c.want || looks != c.looks || records != c.looks {
				t.Fatalf("finding %s after %d looks (%d records), want %s after %d", f.Cause, looks, records, c.want, c.looks)
			}
			if waited := env.Now().Sub(start); waited < time.Duration(c.looks-1)*time.Minute {
				t.Fatalf("waited %s between looks", waited)
			}
		})
	}
}
