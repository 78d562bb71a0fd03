package submission

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/dscsa"
	"github.com/serialhub/serialhub/gateways/dscsa/sim"
)

// TestExchangesOnTheirOwnQueue: Deliver and Poll, the requests to the receiver, run on the
// exchange queue (the rate-limited one); Build, Sign and Finish stay on the gateway's queue.
func TestExchangesOnTheirOwnQueue(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *Activities
	env.RegisterActivity(a)
	env.OnActivity(a.Build, mock.Anything, "ob").Return(int64(1), nil)
	env.OnActivity(a.Sign, mock.Anything, mock.Anything).Return(int64(2), nil)
	env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(gateways.Answer{Outcome: gateways.Pending, AckRef: "j"}, nil)
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(gateways.Answer{Outcome: gateways.Accepted}, nil)
	env.OnActivity(a.Finish, mock.Anything, mock.Anything).Return(nil)
	queues := map[string]string{}
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		queues[info.ActivityType.Name] = info.TaskQueue
	})
	env.ExecuteWorkflow(Workflow, Input{ObligationID: "ob", Gateway: "dscsa", PollInterval: time.Minute})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	main := queues["Build"]
	want := map[string]string{"Build": main, "Sign": main, "Finish": main, "Deliver": ExchangeQueue(main), "Poll": ExchangeQueue(main)}
	for name, q := range want {
		if queues[name] != q {
			t.Errorf("%s ran on %q, want %q (all: %v)", name, queues[name], q, queues)
		}
	}
}

// TestRateLimitCountsDeliveries runs 6 submissions through a worker limited to 1 request to
// the receiver per second, on the real Temporal server: every obligation is delivered and the
// deliveries are spaced by the limit (a lower bound, which a loaded machine cannot break).
// That builds, signatures and bookkeeping are not counted is shown by
// TestExchangesOnTheirOwnQueue (they run on the unlimited queue); the run's total time is
// logged, not asserted, because a shared CI machine may be slow for reasons of its own.
func TestRateLimitCountsDeliveries(t *testing.T) {
	e := newEnv(t, dscsa.TransportHTTPS, sim.Config{})
	e.worker.Stop()
	e.worker = NewWorker(e.tc, e.queue, e.acts, Limits{Concurrent: 8, PerSecond: 1})
	if err := e.worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.worker.Stop)
	receipt := e.ingest(78)
	start := time.Now()
	ids, err := e.hook.CreateObligations(e.ctx, receipt)
	if err != nil || len(ids) != 6 {
		t.Fatalf("obligations %v, %v", ids, err)
	}
	for id, err := range e.waitAll(ids) {
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	total := time.Since(start)
	var first, last time.Time
	var n int // obligations delivered; a delivery retried after a timeout is one more exchange of the same obligation
	if err := e.gw.Pool().QueryRow(e.ctx, `SELECT min(started_at), max(started_at), count(DISTINCT obligation_id) FROM exchanges WHERE step = 'deliver'`).
		Scan(&first, &last, &n); err != nil {
		t.Fatal(err)
	}
	t.Logf("6 submissions in %s; deliveries from first to last %s", total.Round(time.Millisecond), last.Sub(first).Round(time.Millisecond))
	if n != 6 {
		t.Fatalf("%d obligations delivered, want 6", n)
	}
	if span := last.Sub(first); span < 4*time.Second {
		t.Errorf("6 deliveries within %s: the limit of 1/s was not applied to them", span)
	}
}
