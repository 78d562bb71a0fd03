package alerts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/serialhub/serialhub/workflows/alerts"
)

// writeHistory saves a finished investigation's history under testdata when
// SERIALHUB_WRITE_HISTORIES=1, to be committed as a replay fixture.
func writeHistory(t *testing.T, ctx context.Context, tc client.Client, workflowID, name string) {
	if os.Getenv("SERIALHUB_WRITE_HISTORIES") != "1" {
		return
	}
	it := tc.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReplay replays committed histories of real investigations (one settled at once, one
// rechecked while its upload was in flight).
func TestReplay(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	if len(files) == 0 {
		t.Fatal("no committed histories in testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(alerts.Workflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
