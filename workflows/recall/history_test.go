package recall

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplay replays committed histories of real recalls (written by the end-to-end test
// TestRecallWorkflow in cmd/serialhub with SERIALHUB_WRITE_HISTORIES=1): one acknowledged by
// every partner and the EU Hub, one closed by the compliance team while a notice waited.
func TestReplay(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "history_*.json"))
	if len(files) < 2 {
		t.Fatalf("committed histories in testdata: %v", files)
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
