package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// line is one packaging line of a run; its clock is simulated time.
type line struct {
	cfg   *Config
	site  *site
	world *world
	id    string
	idx   int
	rate  float64
	runID string
	clock time.Time
	rng   *mrand.Rand
	batch int
	last  []*epcis.Event // the events of the last accepted batch (for the duplicate fault)
}

var (
	downReasons   = []string{"jam", "missing-material", "label-printer", "vision-fault", "carton-feed"}
	rejectReasons = []string{"vision-2d-grade", "weight", "missing-leaflet", "print-verification"}
)

// State and count records of docs/analytics.md "Line data format".
type lineState struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
}

type lineCount struct {
	Start             time.Time      `json:"start"`
	End               time.Time      `json:"end"`
	GTIN              string         `json:"gtin"`
	Lot               string         `json:"lot"`
	Good              int            `json:"good"`
	Rejected          int            `json:"rejected"`
	IdealRate         float64        `json:"ideal_rate"`
	SerialsUsed       int            `json:"serials_used"`
	AggregationErrors int            `json:"aggregation_errors"`
	RejectReasons     map[string]int `json:"reject_reasons,omitempty"`
}

// run produces batches until they are done or runCtx ends (the run's duration); ctx bounds
// the requests of a batch in progress.
func (l *line) run(runCtx, ctx context.Context, res *Result, mu *sync.Mutex) error {
	for l.cfg.Batches <= 0 || l.batch < l.cfg.Batches {
		if runCtx.Err() != nil {
			return nil
		}
		// Real time: wait until the batch's simulated end is past.
		if wait := time.Until(l.clock.Add(l.cfg.Period)); wait > 0 {
			select {
			case <-runCtx.Done():
				return nil
			case <-time.After(wait):
			}
		}
		if err := l.runBatch(ctx, res, mu); err != nil {
			return fmt.Errorf("%s/%s batch %d: %w", l.site.id, l.id, l.batch, err)
		}
		l.batch++
	}
	return nil
}

// plan is one batch of simulated production.
type plan struct {
	start, end          time.Time
	lot, expiry         string
	good, rejected      int
	reasons             map[string]int
	states              []lineState
	runMinutes          float64
	packs, cases, palls []string
}

// simulate decides what the line does in one period: a changeover to the new lot, running
// at 85–97 % of the ideal rate, maybe an unplanned stop with a reason, 0.5–3 % rejects.
func (l *line) simulate() plan {
	p := plan{start: l.clock, end: l.clock.Add(l.cfg.Period), reasons: map[string]int{}}
	p.lot = fmt.Sprintf("L%s-%d%d%02d", l.runID, l.idx/l.cfg.Lines+1, l.idx%l.cfg.Lines+1, l.batch+1)
	p.expiry = p.start.AddDate(2, 0, 0).Format(time.DateOnly)
	period := l.cfg.Period.Seconds()
	change := period * (0.02 + 0.03*l.rng.Float64())
	t := p.start
	p.states = append(p.states, lineState{At: t, State: "changeover"})
	t = t.Add(time.Duration(change) * time.Second)
	p.states = append(p.states, lineState{At: t, State: "running"})
	run := period - change
	if l.rng.Float64() < 0.4 { // an unplanned stop somewhere in the running time
		down := period * (0.03 + 0.1*l.rng.Float64())
		at := t.Add(time.Duration(run*0.3+l.rng.Float64()*(run*0.4-down)) * time.Second)
		if at.After(t) && down > 1 {
			p.states = append(p.states,
				lineState{At: at, State: "down", Reason: downReasons[l.rng.IntN(len(downReasons))]},
				lineState{At: at.Add(time.Duration(down) * time.Second), State: "running"})
			run -= down
		}
	}
	p.runMinutes = run / 60
	total := int(p.runMinutes * l.rate * (0.85 + 0.12*l.rng.Float64()))
	p.rejected = int(float64(total) * (0.005 + 0.025*l.rng.Float64()))
	p.good = total - p.rejected
	for i := 0; i < p.rejected; i++ {
		p.reasons[rejectReasons[l.rng.IntN(len(rejectReasons))]]++
	}
	return p
}

func (l *line) requestID(p plan, kind string) string {
	return fmt.Sprintf("sim-%s-%s-%s-%d%s", l.runID, l.site.id, l.id, l.batch, kind)
}

func (l *line) requestSerials(ctx context.Context, n int, lot, reqID string) ([]string, error) {
	var alloc struct {
		Serials []string `json:"serials"`
	}
	req := map[string]any{"line": l.id, "gtin": string(l.site.gtin), "count": n, "lot": lot, "work_order": "WO-" + lot, "request_id": reqID}
	if _, err := l.site.api.do(ctx, http.MethodPost, "/v1/sites/"+esc(l.site.id)+"/serials", "", req, &alloc); err != nil {
		return nil, fmt.Errorf("request serials: %w", err)
	}
	if len(alloc.Serials) != n {
		return nil, fmt.Errorf("request serials: got %d, want %d", len(alloc.Serials), n)
	}
	return alloc.Serials, nil
}

func (l *line) returnSerials(ctx context.Context, serials []string) error {
	if len(serials) == 0 {
		return nil
	}
	body := map[string]any{"gtin": string(l.site.gtin), "serials": serials}
	if _, err := l.site.api.do(ctx, http.MethodPost, "/v1/sites/"+esc(l.site.id)+"/serials/returns", "", body, nil); err != nil {
		return fmt.Errorf("return serials: %w", err)
	}
	return nil
}

// runBatch is one batch: serials, the EPCIS document, its upload, the line data.
func (l *line) runBatch(ctx context.Context, res *Result, mu *sync.Mutex) error {
	p := l.simulate()
	serials, err := l.requestSerials(ctx, p.good+p.rejected, p.lot, l.requestID(p, ""))
	if err != nil {
		return err
	}
	// Rejected packs had their serial printed; the line gives those serials back unused.
	rejected := serials[p.good:]
	serials = serials[:p.good]
	partner := l.world.partners[l.rng.IntN(len(l.world.partners))]
	events, err := l.batchEvents(&p, serials, partner)
	if err != nil {
		return err
	}
	doc, err := encode(events, p.end)
	if err != nil {
		return err
	}
	r, err := l.site.api.upload(ctx, l.site.id, doc, l.cfg.Wait)
	if err != nil {
		return err
	}
	if err := l.returnSerials(ctx, rejected); err != nil {
		return err
	}
	states, counts, err := l.sendLineData(ctx, p)
	if err != nil {
		return err
	}
	l.clock = p.end
	mu.Lock()
	defer mu.Unlock()
	res.Batches++
	res.Documents++
	res.SerialsRequested += p.good + p.rejected
	res.SerialsReturned += len(rejected)
	res.LineRejects += p.rejected
	res.LineStates += states
	res.LineCounts += counts
	for _, s := range p.states {
		if s.State == "down" {
			res.Stops++
		}
	}
	if r.Status != domain.StatusProcessed {
		res.Rejected++
		res.Unexpected = append(res.Unexpected, fmt.Sprintf("good batch %s of %s/%s: receipt %s %s %v", p.lot, l.site.id, l.id, r.ID, r.Status, r.Errors))
		return nil
	}
	res.Processed++
	res.Packs += len(p.packs)
	res.Cases += len(p.cases)
	res.Pallets += len(p.palls)
	res.Shipments += len(p.palls)
	res.Lots = append(res.Lots, Lot{Site: l.site.id, Line: l.id, GTIN: string(l.site.gtin), Lot: p.lot, Expiry: p.expiry,
		Packs: len(p.packs), Cases: len(p.cases), Pallets: len(p.palls), Partner: string(partner.gln)})
	l.last = events
	fmt.Fprintf(l.cfg.Log, "%s/%s lot %s: %d packs, %d cases, %d pallets → %s (receipt %s)\n",
		l.site.id, l.id, p.lot, len(p.packs), len(p.cases), len(p.palls), partner.gln, r.ID)
	return nil
}

// sendLineData posts the batch's state changes and its count record.
func (l *line) sendLineData(ctx context.Context, p plan) (int, int, error) {
	body := map[string]any{"line": l.id, "states": p.states, "counts": []lineCount{{Start: p.start, End: p.end,
		GTIN: string(l.site.gtin), Lot: p.lot, Good: p.good, Rejected: p.rejected, IdealRate: l.rate,
		SerialsUsed: p.good + p.rejected, RejectReasons: p.reasons}}}
	var ans struct {
		States int `json:"states"`
		Counts int `json:"counts"`
	}
	if _, err := l.site.api.do(ctx, http.MethodPost, "/v1/sites/"+esc(l.site.id)+"/linedata", "", body, &ans); err != nil {
		return 0, 0, fmt.Errorf("line data: %w", err)
	}
	return ans.States, ans.Counts, nil
}

const (
	stepCommissioning = "urn:epcglobal:cbv:bizstep:commissioning"
	stepPacking       = "urn:epcglobal:cbv:bizstep:packing"
	stepShipping      = "urn:epcglobal:cbv:bizstep:shipping"
	dispActive        = "urn:epcglobal:cbv:disp:active"
	dispInProgress    = "urn:epcglobal:cbv:disp:in_progress"
	dispInTransit     = "urn:epcglobal:cbv:disp:in_transit"
	sdtLocation       = "urn:epcglobal:cbv:sdt:location"
	sdtOwner          = "urn:epcglobal:cbv:sdt:owning_party"
)

func (l *line) readPoint() string {
	return "urn:epc:id:sgln:" + l.site.prefix + ".00000." + l.id
}

func (l *line) event(typ epcis.EventType, t time.Time, action epcis.Action, step, disp string) *epcis.Event {
	return &epcis.Event{Type: typ, EventTime: t, EventTimeZoneOffset: "+00:00", Action: action, BizStep: step,
		Disposition: disp, ReadPoint: l.readPoint(), BizLocation: l.site.sgln}
}

func ilmd(lot, expiry string) []epcis.Element {
	return []epcis.Element{
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "lotNumber"}, Text: lot},
		{Name: epcis.Name{Space: epcis.NSCBVMDA, Prefix: "cbvmda", Local: "itemExpirationDate"}, Text: expiry},
	}
}

// commission is the commissioning of packs with lot and expiry.
func (l *line) commission(t time.Time, serials []string, lot, expiry string) (*epcis.Event, []string, error) {
	ev := l.event(epcis.ObjectEvent, t, epcis.ActionAdd, stepCommissioning, dispActive)
	for _, s := range serials {
		uri, err := gs1.SGTIN{GTIN: l.site.gtin, Serial: s, PrefixLen: len(l.site.prefix)}.URI()
		if err != nil {
			return nil, nil, err
		}
		ev.EPCList = append(ev.EPCList, uri)
	}
	ev.ILMD = ilmd(lot, expiry)
	return ev, ev.EPCList, nil
}

// batchEvents builds the batch's events: packs commissioned on the line, cases and pallets
// (SSCCs) commissioned, packs aggregated into cases, cases onto pallets, pallets shipped.
func (l *line) batchEvents(p *plan, serials []string, to partner) ([]*epcis.Event, error) {
	q := p.end.Sub(p.start) / 5
	com, packs, err := l.commission(p.start.Add(q), serials, p.lot, p.expiry)
	if err != nil {
		return nil, err
	}
	p.packs = packs
	events := []*epcis.Event{com}
	nCases := (len(packs) + l.cfg.PacksPerCase - 1) / l.cfg.PacksPerCase
	nPallets := (nCases + l.cfg.CasesPerPallet - 1) / l.cfg.CasesPerPallet
	sscc := l.event(epcis.ObjectEvent, p.start.Add(q), epcis.ActionAdd, stepCommissioning, dispActive)
	for i := 0; i < nCases+nPallets; i++ {
		uri, err := l.newSSCC()
		if err != nil {
			return nil, err
		}
		sscc.EPCList = append(sscc.EPCList, uri)
	}
	if len(sscc.EPCList) > 0 {
		events = append(events, sscc)
	}
	p.cases, p.palls = sscc.EPCList[:nCases], sscc.EPCList[nCases:]
	for i, c := range p.cases {
		ev := l.event(epcis.AggregationEvent, p.start.Add(2*q), epcis.ActionAdd, stepPacking, dispInProgress)
		ev.ParentID = c
		ev.EPCList = packs[i*l.cfg.PacksPerCase : min((i+1)*l.cfg.PacksPerCase, len(packs))]
		events = append(events, ev)
	}
	for i, pl := range p.palls {
		ev := l.event(epcis.AggregationEvent, p.start.Add(3*q), epcis.ActionAdd, stepPacking, dispInProgress)
		ev.ParentID = pl
		ev.EPCList = p.cases[i*l.cfg.CasesPerPallet : min((i+1)*l.cfg.CasesPerPallet, len(p.cases))]
		events = append(events, ev)
	}
	if len(p.palls) > 0 {
		ship := l.event(epcis.ObjectEvent, p.end.Add(-time.Second), epcis.ActionObserve, stepShipping, dispInTransit)
		ship.ReadPoint = l.site.sgln
		ship.EPCList = p.palls
		ship.Sources = []epcis.SourceDest{{Type: sdtOwner, Value: l.site.sgln}, {Type: sdtLocation, Value: l.site.sgln}}
		ship.Destinations = []epcis.SourceDest{{Type: sdtOwner, Value: to.sgln}, {Type: sdtLocation, Value: to.sgln}}
		events = append(events, ship)
	}
	return events, nil
}

// newSSCC returns a random SSCC EPC URI of the site's company prefix (extension digit 0).
func (l *line) newSSCC() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		return "", err
	}
	body := "0" + l.site.prefix + fmt.Sprintf("%09d", n.Int64())
	cd, err := gs1.CheckDigit(body)
	if err != nil {
		return "", err
	}
	return gs1.SSCC{Value: body + string(cd), PrefixLen: len(l.site.prefix)}.URI()
}

// encode writes an EPCIS 2.0 XML document.
func encode(events []*epcis.Event, created time.Time) ([]byte, error) {
	var b bytes.Buffer
	enc := epcisxml.NewEncoder(&b, epcis.Version20)
	doc := &epcis.Document{SchemaVersion: epcis.Version20, CreationDate: created,
		Namespaces: map[string]string{"cbvmda": epcis.NSCBVMDA}}
	if err := enc.WriteHeader(doc); err != nil {
		return nil, fmt.Errorf("encode EPCIS: %w", err)
	}
	for _, ev := range events {
		if err := enc.WriteEvent(ev); err != nil {
			return nil, fmt.Errorf("encode EPCIS: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode EPCIS: %w", err)
	}
	return b.Bytes(), nil
}

// fault builds, uploads and waits for one faulty document of the kind.
func (l *line) fault(ctx context.Context, kind string, res *Result) (Faulty, error) {
	f := Faulty{Kind: kind, Site: l.site.id, Line: l.id}
	t := l.clock.Add(time.Minute)
	if t.After(time.Now()) {
		t = time.Now().Add(-time.Second)
	}
	t = t.UTC().Truncate(time.Second)
	var events []*epcis.Event
	switch kind {
	case FaultDuplicate:
		if len(l.last) == 0 {
			return f, fmt.Errorf("no accepted batch to repeat")
		}
		events = l.last
	case FaultUnknownChildren:
		parent, err := l.newSSCC()
		if err != nil {
			return f, err
		}
		ev := l.event(epcis.AggregationEvent, t, epcis.ActionAdd, stepPacking, dispInProgress)
		ev.ParentID = parent
		for i := 0; i < 3; i++ {
			n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000_000))
			if err != nil {
				return f, err
			}
			uri, err := gs1.SGTIN{GTIN: l.site.gtin, Serial: fmt.Sprintf("%012d", n.Int64()), PrefixLen: len(l.site.prefix)}.URI()
			if err != nil {
				return f, err
			}
			ev.EPCList = append(ev.EPCList, uri)
		}
		events = []*epcis.Event{ev}
	case FaultWrongLot:
		lot := fmt.Sprintf("L%s-%dX%02d", l.runID, l.idx, len(res.Faulty))
		serials, err := l.requestSerials(ctx, 3, lot, l.requestID(plan{}, "-wronglot-"+lot))
		if err != nil {
			return f, err
		}
		ev, _, err := l.commission(t, serials, lot+"W", t.AddDate(2, 0, 0).Format(time.DateOnly))
		if err != nil {
			return f, err
		}
		events = []*epcis.Event{ev}
		defer func() { _ = l.returnSerials(ctx, serials) }()
	default:
		return f, fmt.Errorf("unknown fault %q", kind)
	}
	doc, err := encode(events, time.Now().UTC())
	if err != nil {
		return f, err
	}
	f.Receipt, err = l.site.api.upload(ctx, l.site.id, doc, l.cfg.Wait)
	return f, err
}
