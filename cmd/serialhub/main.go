// Command serialhub is the hub's one binary: the REST API (serve), the Temporal worker
// (worker), schema migrations, the local development stack and the user commands (upload,
// recall, epcis, gs1 ...). This package is the only place that reads configuration and wires
// concrete types together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/serialhub/serialhub/deploy/local/localenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], localenv.Getenv(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errSilent) {
			fmt.Fprintln(os.Stderr, "serialhub:", err)
		}
		os.Exit(1)
	}
}

// errSilent is returned by commands that have already told the user what went wrong.
var errSilent = errors.New("failed")

const usage = `serialhub — pharmaceutical serialization hub

Server commands:
  serve          run the REST API
  worker         run the Temporal worker (ingest workflows)
  hub            run serve and worker in one process
  dev            start the local stack, migrate, and run the hub in the foreground
  migrate        apply PostgreSQL and ClickHouse migrations
  bootstrap      ensure the local admin API key (DATA/admin.token) exists
  config         print the resolved configuration (secrets masked)

User commands (talk to the API at SERIALHUB_URL):
  upload --site S FILE...       upload EPCIS documents for a site
  receipt ID                    show an upload's receipt
  exceptions list|show|reprocess|dismiss   rejected documents and events
  recall --gtin G --lot L       every pack of a lot: state, case, pallet, partner (also
                                --lot L1,L2, --expiry-from/--expiry-to, --serials; --format csv)
  recalls start|list|show|notice|close   recall decisions: notices to partners (CSV, EPCIS),
                                EU Hub batch recall, acknowledgements until closed
  trace ID                      history and genealogy of a pack, case or pallet (EPC URI,
                                DataMatrix element string, Digital Link, or serial with --gtin)
  oee --site S --from D --to D  line OEE, downtime Pareto, rejects (--line L, --svg FILE)
  sensors [--site S]            EPCIS 2.0 sensor readings per type: count, min, max, avg
                                (--type T, --from D --to D, --by-epc, --format json|csv)
  analytics rebuild             refill ClickHouse from PostgreSQL (server command)
  submissions list|show|retry|cancel   reports to partners (show ID --payload FILE: the bytes sent)
  masterdata import FILE.csv... markets, sites, lines, products, partners (also list|show|history)
  serials request --site S --line L --gtin G --count N   allocate serials (also return|pool|alerts)
  vrs verify --gtin G --serial S --lot L --expiry YYMMDD [--partner GLN]   product verification (also log|partner|key)
  as2 partner GLN --to ID --from ID --cert FILE   a partner's AS2 settings (server command)
  euhub release|status|recall|withdraw|decommission|undo|product|connect   EU Hub reporting (EU FMD)
  alerts list|show|close|export EU Hub alerts and their investigation
  demo [--wait]                 run the demo scenario against the hub

Standards tools (offline):
  epcis validate|convert|hash   EPCIS documents
  gs1 parse INPUT               element strings, Digital Links, EPC URIs
`

// run is the whole program, callable from tests: args without the program name, getenv for
// configuration, stdout/stderr for output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runHub(ctx, cfg, log, true, false)
	case "worker":
		return runHub(ctx, cfg, log, false, true)
	case "hub":
		return runHub(ctx, cfg, log, true, true)
	case "dev":
		return runDev(ctx, log, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, cfg, stdout)
	case "bootstrap":
		return runBootstrap(ctx, cfg, stdout)
	case "config":
		cfg.print(stdout)
		return nil
	case "upload":
		return runUpload(ctx, cfg, rest, stdout)
	case "receipt":
		return runReceipt(ctx, cfg, rest, stdout)
	case "exceptions":
		return runExceptions(ctx, cfg, rest, stdout)
	case "recall":
		return runRecall(ctx, cfg, rest, stdout)
	case "recalls":
		return runRecalls(ctx, cfg, rest, stdout)
	case "trace":
		return runTrace(ctx, cfg, rest, stdout)
	case "oee":
		return runOEE(ctx, cfg, rest, stdout)
	case "sensors":
		return runSensors(ctx, cfg, rest, stdout)
	case "analytics":
		return runAnalytics(ctx, cfg, rest, stdout)
	case "submissions":
		return runSubmissions(ctx, cfg, rest, stdout)
	case "masterdata":
		return runMasterdata(ctx, cfg, rest, stdout)
	case "serials":
		return runSerials(ctx, cfg, rest, stdout, stderr)
	case "vrs":
		return runVRS(ctx, cfg, rest, stdout)
	case "as2":
		return runAS2(ctx, cfg, rest, stdout)
	case "euhub":
		return runEUHub(ctx, cfg, rest, stdout)
	case "alerts":
		return runAlerts(ctx, cfg, rest, stdout)
	case "demo":
		return runDemo(ctx, cfg, rest, stdout)
	case "gs1":
		return runGS1(rest, stdout, stderr)
	case "epcis":
		return runEPCIS(ctx, rest, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (try `serialhub help`)", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
