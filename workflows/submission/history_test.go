package submission

import (
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"
)

// writeHistory saves a finished workflow's history under testdata when
// SERIALHUB_WRITE_HISTORIES=1, to be committed as a replay fixture.
func (e *env) writeHistory(workflowID, name string) {
	if os.Getenv("SERIALHUB_WRITE_HISTORIES") != "1" {
		return
	}
	it := e.tc.GetWorkflowHistory(e.ctx, workflowID, "", false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// TestReplay replays committed histories of real runs (capture with polling, delivery
// through faults, rejection): a change to the workflow's commands that would break running
// submissions fails here.
func TestReplay(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	if len(files) == 0 {
		t.Fatal("no committed histories in testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(Workflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
