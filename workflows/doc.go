// Package workflows groups the hub's Temporal workflows, one sub-package per flow (ingest,
// later submission, recall, alerts). Each sub-package keeps its workflow, its activities and the
// names of its task queue beside its input and result types. Workflow histories carry
// references (receipt ids), never document bodies: large payloads live in PostgreSQL.
package workflows
