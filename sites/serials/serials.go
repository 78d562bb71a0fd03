// Package serials manages serial-number pools per GTIN: random serials drawn from a
// cryptographic source in the format of the product's markets, allocated to a site's line on
// request, never issued twice, and refused once the EU FMD guess-probability rule (issued /
// possible serials ≤ 1/10,000) would be broken.
//
// Uniqueness is the database's job: issued_serials has the primary key (gtin, serial), and
// every insert skips serials that exist, so concurrent requests, retries and hub restarts can
// never hand out a serial twice. A request id makes a retried request return the first
// answer. Intake asks Allocated which serials were issued to which site and line.
package serials

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/sqlfile"
	"github.com/serialhub/serialhub/sites/masterdata"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// MaxGuessProbability is the EU FMD limit (Delegated Regulation (EU) 2016/161, art. 4(b)):
// the probability of guessing a valid serial must be below 1 in 10,000.
const MaxGuessProbability = 1.0 / 10000

// MaxCount is the most serials one request may ask for.
const MaxCount = 1_000_000

// Catalog is the master data the pools need; *masterdata.Store implements it.
type Catalog interface {
	Product(ctx context.Context, gtin string) (masterdata.Product, error)
	Line(ctx context.Context, site, line string) (masterdata.Line, error)
	ProductSerialFormat(ctx context.Context, p masterdata.Product) (masterdata.SerialFormat, error)
}

// Store is the PostgreSQL side of serial pools.
type Store struct {
	pool    *pgxpool.Pool
	catalog Catalog
	log     *slog.Logger
	rand    io.Reader
}

// NewStore returns a Store on pool that checks requests against catalog.
func NewStore(pool *pgxpool.Pool, catalog Catalog, log *slog.Logger) *Store {
	return &Store{pool: pool, catalog: catalog, log: log, rand: rand.Reader}
}

// Request asks for Count serials of GTIN for a site's line.
type Request struct {
	SiteID    string `json:"-"` // from the path
	LineID    string `json:"line"`
	GTIN      string `json:"gtin"`
	Count     int    `json:"count"`
	Lot       string `json:"lot,omitempty"`
	WorkOrder string `json:"work_order,omitempty"`
	// RequestID makes the request idempotent per site: the same id returns the same serials.
	// Empty: the hub makes one up (and the request is not safely retryable).
	RequestID string `json:"request_id,omitempty"`
	By        string `json:"-"` // who asked, for the record
}

// PoolStatus is where a GTIN's pool stands under the guess-probability rule.
type PoolStatus struct {
	GTIN                string  `json:"gtin"`
	Alphabet            string  `json:"alphabet"`
	Length              int     `json:"length"`
	Space               float64 `json:"space"` // possible serials: len(alphabet)^length
	Issued              int64   `json:"issued"`
	Returned            int64   `json:"returned"`
	MaxIssued           int64   `json:"max_issued"` // the most serials the rule allows
	Remaining           int64   `json:"remaining"`
	GuessProbability    float64 `json:"guess_probability"` // issued / space
	MaxGuessProbability float64 `json:"max_guess_probability"`
	AlertBelow          int64   `json:"alert_below"` // an alert is raised when remaining falls below
}

// Allocation is a granted request.
type Allocation struct {
	ID        int64      `json:"allocation_id"`
	RequestID string     `json:"request_id"`
	SiteID    string     `json:"site"`
	LineID    string     `json:"line"`
	GTIN      string     `json:"gtin"`
	Lot       string     `json:"lot,omitempty"`
	WorkOrder string     `json:"work_order,omitempty"`
	Count     int        `json:"count"`
	CreatedAt time.Time  `json:"created_at"`
	Replayed  bool       `json:"replayed"` // this answers a repeated request id
	Pool      PoolStatus `json:"pool"`
	Serials   []string   `json:"serials"` // sorted
}

var (
	requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	cset82RE    = regexp.MustCompile(`^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$`)
)

// validate checks a request's fields (not yet against the master data).
func (r *Request) validate() error {
	var fe masterdata.FieldErrors
	add := func(field, msg string, args ...any) {
		fe = append(fe, masterdata.FieldError{Field: field, Message: fmt.Sprintf(msg, args...)})
	}
	if r.SiteID == "" {
		add("site", "required")
	}
	if r.LineID == "" {
		add("line", "required")
	}
	if g, err := gs1.ParseGTIN(r.GTIN); err != nil {
		add("gtin", "%v", err)
	} else {
		r.GTIN = string(g)
	}
	if r.Count < 1 || r.Count > MaxCount {
		add("count", "%d: want 1 to %d", r.Count, MaxCount)
	}
	if r.Lot != "" && !cset82RE.MatchString(r.Lot) {
		add("lot", "%q: want 1 to 20 characters of GS1 character set 82", r.Lot)
	}
	if len(r.WorkOrder) > 64 {
		add("work_order", "%d characters, at most 64", len(r.WorkOrder))
	}
	if r.RequestID != "" && !requestIDRE.MatchString(r.RequestID) {
		add("request_id", "%q: want 1 to 64 letters, digits, '.', '_', ':' or '-'", r.RequestID)
	}
	return fe.Err("serial request")
}

// Request allocates serials, or replays the answer to an earlier request with the same id.
func (s *Store) Request(ctx context.Context, req Request) (Allocation, error) {
	if err := req.validate(); err != nil {
		return Allocation{}, err
	}
	p, err := s.catalog.Product(ctx, req.GTIN)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return Allocation{}, domain.Errorf(domain.CodeInvalid, "GTIN %s is not in the master data", req.GTIN)
	}
	if err != nil {
		return Allocation{}, err
	}
	if !p.MadeAt(req.SiteID) {
		return Allocation{}, domain.Errorf(domain.CodeForbidden, "GTIN %s is not allocated to site %s", req.GTIN, req.SiteID)
	}
	if _, err := s.catalog.Line(ctx, req.SiteID, req.LineID); domain.ErrorCode(err) == domain.CodeNotFound {
		return Allocation{}, domain.Errorf(domain.CodeInvalid, "site %s has no line %s in the master data", req.SiteID, req.LineID)
	} else if err != nil {
		return Allocation{}, err
	}
	format, err := s.catalog.ProductSerialFormat(ctx, p)
	if err != nil {
		return Allocation{}, err
	}
	if req.RequestID == "" {
		b := make([]byte, 16)
		if _, err := io.ReadFull(s.rand, b); err != nil {
			return Allocation{}, fmt.Errorf("serial request: request id: %w", err)
		}
		req.RequestID = hex.EncodeToString(b)
	}
	if _, err := s.pool.Exec(ctx, q.Get("EnsurePool"), req.GTIN, format.Alphabet, format.Length); err != nil {
		return Allocation{}, fmt.Errorf("serial request: pool of %s: %w", req.GTIN, err)
	}
	log := s.log.With("site", req.SiteID, "gtin", req.GTIN, "lot", req.Lot, "line", req.LineID, "request_id", req.RequestID)
	// A deadlock between two requests that drew the same serial at the same moment is
	// resolved by PostgreSQL aborting one; it simply tries again.
	for attempt := 1; ; attempt++ {
		a, err := s.allocate(ctx, req, format, log)
		var pgErr *pgconn.PgError
		if attempt < 5 && errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") {
			continue
		}
		return a, err
	}
}

// allocate is one attempt of Request, in one transaction.
func (s *Store) allocate(ctx context.Context, req Request, format masterdata.SerialFormat, log *slog.Logger) (Allocation, error) {
	a := Allocation{RequestID: req.RequestID, SiteID: req.SiteID, LineID: req.LineID, GTIN: req.GTIN, Lot: req.Lot,
		WorkOrder: req.WorkOrder, Count: req.Count}
	space, maxIssued := limits(format)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return a, fmt.Errorf("serial request: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit

	err = tx.QueryRow(ctx, q.Get("InsertAllocation"), req.SiteID, req.LineID, req.RequestID, req.GTIN, req.Lot,
		req.WorkOrder, req.Count, req.By).Scan(&a.ID, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = tx.Rollback(ctx)
		return s.replay(ctx, req)
	}
	if err != nil {
		return a, fmt.Errorf("serial request: record: %w", err)
	}
	// Read in the transaction: a second pool connection per request could exhaust the pool
	// under concurrent requests.
	pool, err := s.readPool(ctx, tx, req.GTIN)
	if err != nil {
		return a, err
	}
	// Checked here to spare the work; CountIssued below is what enforces it.
	if pool.Issued+int64(req.Count) > maxIssued {
		_ = tx.Rollback(ctx)
		return a, s.refuse(ctx, req, pool.Issued, space, maxIssued, log)
	}

	serials, err := s.issue(ctx, tx, req.GTIN, a.ID, req.Count, format)
	if err != nil {
		return a, err
	}
	var issued int64
	var alertBelow *int64
	err = tx.QueryRow(ctx, q.Get("CountIssued"), req.GTIN, req.Count, format.Alphabet, maxIssued, format.Length).
		Scan(&issued, &alertBelow)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = tx.Rollback(ctx)
		cur, _ := s.Pool(ctx, req.GTIN)
		return a, s.refuse(ctx, req, cur.Issued, space, maxIssued, log)
	}
	if err != nil {
		return a, fmt.Errorf("serial request: count issued: %w", err)
	}
	threshold := alertThreshold(alertBelow, maxIssued)
	before, after := maxIssued-(issued-int64(req.Count)), maxIssued-issued
	low := before >= threshold && after < threshold
	if low {
		msg := fmt.Sprintf("serial pool of GTIN %s runs low: %d serials left before the guess-probability limit (alert below %d)",
			req.GTIN, after, threshold)
		if _, err := tx.Exec(ctx, q.Get("InsertAlert"), req.GTIN, "low", msg, after); err != nil {
			return a, fmt.Errorf("serial request: alert: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return a, fmt.Errorf("serial request: commit: %w", err)
	}
	if low {
		log.Warn("serial pool runs low", "remaining", after, "alert_below", threshold)
	}
	log.Info("serials allocated", "count", req.Count, "allocation_id", a.ID)
	slices.Sort(serials) // sorted per round already; rounds after a collision are rare
	a.Serials = serials
	a.Pool = status(req.GTIN, format, issued, pool.Returned, alertBelow)
	return a, nil
}

// issue draws count new serials and inserts them for the allocation, replacing any that were
// issued before (by anyone) until count are ours.
func (s *Store) issue(ctx context.Context, tx pgx.Tx, gtin string, allocID int64, count int, f masterdata.SerialFormat) ([]string, error) {
	ours := make(map[string]struct{}, count)
	out := make([]string, 0, count)
	for round := 0; len(out) < count; round++ {
		if round > 20 {
			// With the pool at most 1/10,000 full, 20 rounds of collisions do not happen by
			// chance: the format or the random source is broken.
			return nil, fmt.Errorf("serial request: %d serials still colliding after %d rounds", count-len(out), round)
		}
		cand, err := draw(s.rand, f, count-len(out), ours)
		if err != nil {
			return nil, fmt.Errorf("serial request: draw serials: %w", err)
		}
		// Sorted, the inserts walk the primary-key index in order instead of at random:
		// about a quarter faster for 100k serials.
		slices.Sort(cand)
		tag, err := tx.Exec(ctx, q.Get("IssueSerials"), gtin, allocID, cand)
		if err != nil {
			return nil, fmt.Errorf("serial request: issue: %w", err)
		}
		if int(tag.RowsAffected()) < len(cand) {
			rows, err := tx.Query(ctx, q.Get("TakenByOthers"), gtin, cand, allocID)
			if err != nil {
				return nil, fmt.Errorf("serial request: find collisions: %w", err)
			}
			taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return nil, fmt.Errorf("serial request: find collisions: %w", err)
			}
			for _, t := range taken {
				delete(ours, t)
			}
			cand = slices.DeleteFunc(cand, func(c string) bool { _, ok := ours[c]; return !ok })
		}
		out = append(out, cand...)
	}
	return out, nil
}

// draw returns n serials in format f, distinct and not in seen (to which they are added).
// Characters are drawn by rejection sampling so that every one is equally likely.
func draw(r io.Reader, f masterdata.SerialFormat, n int, seen map[string]struct{}) ([]string, error) {
	a := len(f.Alphabet)
	limit := 256 - 256%a // bytes at or above would favour the first characters
	buf := make([]byte, min(64<<10, max(256, 2*n*f.Length)))
	pos, end := 0, 0
	next := func() (byte, error) {
		for {
			if pos == end {
				m, err := io.ReadAtLeast(r, buf, 1)
				if err != nil {
					return 0, err
				}
				pos, end = 0, m
			}
			b := buf[pos]
			pos++
			if int(b) < limit {
				return f.Alphabet[int(b)%a], nil
			}
		}
	}
	out := make([]string, 0, n)
	word := make([]byte, f.Length)
	for len(out) < n {
		for i := range word {
			c, err := next()
			if err != nil {
				return nil, err
			}
			word[i] = c
		}
		w := string(word)
		if _, dup := seen[w]; dup {
			continue
		}
		seen[w] = struct{}{}
		out = append(out, w)
	}
	return out, nil
}

// limits returns the number of possible serials and the most that may be issued under the
// guess-probability rule.
func limits(f masterdata.SerialFormat) (space float64, maxIssued int64) {
	sp := new(big.Int).Exp(big.NewInt(int64(len(f.Alphabet))), big.NewInt(int64(f.Length)), nil)
	space, _ = new(big.Float).SetInt(sp).Float64()
	m := new(big.Int).Quo(sp, big.NewInt(10000))
	if !m.IsInt64() {
		return space, math.MaxInt64
	}
	return space, m.Int64()
}

func alertThreshold(alertBelow *int64, maxIssued int64) int64 {
	if alertBelow != nil {
		return *alertBelow
	}
	return maxIssued / 10
}

func status(gtin string, f masterdata.SerialFormat, issued, returned int64, alertBelow *int64) PoolStatus {
	space, maxIssued := limits(f)
	return PoolStatus{GTIN: gtin, Alphabet: f.Alphabet, Length: f.Length, Space: space, Issued: issued, Returned: returned,
		MaxIssued: maxIssued, Remaining: max(0, maxIssued-issued), GuessProbability: float64(issued) / space,
		MaxGuessProbability: MaxGuessProbability, AlertBelow: alertThreshold(alertBelow, maxIssued)}
}

// refuse records and returns the refusal of a request by the guess-probability rule.
func (s *Store) refuse(ctx context.Context, req Request, issued int64, space float64, maxIssued int64, log *slog.Logger) error {
	p := float64(issued+int64(req.Count)) / space
	msg := fmt.Sprintf("issuing %d more serials for GTIN %s would raise the guess probability to %.3g (%d issued of %.3g possible), above the EU FMD limit of 1/10,000: at most %d more may be issued; widen the serial format in the product's master data",
		req.Count, req.GTIN, p, issued, space, max(0, maxIssued-issued))
	if _, err := s.pool.Exec(context.WithoutCancel(ctx), q.Get("InsertAlert"), req.GTIN, "refused", msg, max(0, maxIssued-issued)); err != nil {
		log.Error("record serial pool alert", "err", err)
	}
	log.Warn("serial request refused by the guess-probability rule", "count", req.Count, "issued", issued, "max_issued", maxIssued)
	return domain.Errorf(domain.CodeConflict, "%s", msg)
}

// replay answers a repeated request id with the first answer, if the request is the same.
func (s *Store) replay(ctx context.Context, req Request) (Allocation, error) {
	var a Allocation
	err := s.pool.QueryRow(ctx, q.Get("AllocationByRequest"), req.SiteID, req.RequestID).Scan(&a.ID, &a.RequestID, &a.SiteID,
		&a.LineID, &a.GTIN, &a.Lot, &a.WorkOrder, &a.Count, &a.CreatedAt)
	if err != nil {
		return a, fmt.Errorf("serial request %s: replay: %w", req.RequestID, err)
	}
	if a.LineID != req.LineID || a.GTIN != req.GTIN || a.Count != req.Count || a.Lot != req.Lot || a.WorkOrder != req.WorkOrder {
		return Allocation{}, domain.Errorf(domain.CodeConflict,
			"request id %s was used for another request (line %s, GTIN %s, %d serials, lot %q): use a new request id",
			req.RequestID, a.LineID, a.GTIN, a.Count, a.Lot)
	}
	rows, err := s.pool.Query(ctx, q.Get("AllocationSerials"), a.ID)
	if err != nil {
		return a, fmt.Errorf("serial request %s: replay: %w", req.RequestID, err)
	}
	if a.Serials, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return a, fmt.Errorf("serial request %s: replay: %w", req.RequestID, err)
	}
	a.Replayed = true
	a.Pool, err = s.Pool(ctx, a.GTIN)
	return a, err
}

// Pool reads a GTIN's pool status (NotFound if no serial was ever requested for it).
func (s *Store) Pool(ctx context.Context, gtin string) (PoolStatus, error) {
	return s.readPool(ctx, s.pool, gtin)
}

func (s *Store) readPool(ctx context.Context, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, gtin string) (PoolStatus, error) {
	var f masterdata.SerialFormat
	var issued, returned int64
	var alertBelow *int64
	var g string
	err := db.QueryRow(ctx, q.Get("Pool"), gtin).Scan(&g, &f.Alphabet, &f.Length, &issued, &returned, &alertBelow)
	if errors.Is(err, pgx.ErrNoRows) {
		return PoolStatus{}, domain.Errorf(domain.CodeNotFound, "no serial pool for GTIN %s", gtin)
	}
	if err != nil {
		return PoolStatus{}, fmt.Errorf("read pool %s: %w", gtin, err)
	}
	return status(g, f, issued, returned, alertBelow), nil
}

// SetAlertBelow sets the number of remaining serials under which a pool raises an alert.
func (s *Store) SetAlertBelow(ctx context.Context, gtin string, n int64) (PoolStatus, error) {
	if n < 0 {
		return PoolStatus{}, domain.Errorf(domain.CodeInvalid, "alert_below %d: want 0 or more", n)
	}
	tag, err := s.pool.Exec(ctx, q.Get("SetAlertBelow"), gtin, n)
	if err != nil {
		return PoolStatus{}, fmt.Errorf("set alert of pool %s: %w", gtin, err)
	}
	if tag.RowsAffected() == 0 {
		return PoolStatus{}, domain.Errorf(domain.CodeNotFound, "no serial pool for GTIN %s", gtin)
	}
	return s.Pool(ctx, gtin)
}

// Alert is a pool alert.
type Alert struct {
	ID        int64     `json:"id"`
	GTIN      string    `json:"gtin"`
	Kind      string    `json:"kind"` // low or refused
	Message   string    `json:"message"`
	Remaining int64     `json:"remaining"`
	CreatedAt time.Time `json:"created_at"`
}

// Alerts lists the latest alerts, of one GTIN if gtin is not empty.
func (s *Store) Alerts(ctx context.Context, gtin string, limit int) ([]Alert, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("Alerts"), gtin, limit)
	if err != nil {
		return nil, fmt.Errorf("list pool alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		return a, r.Scan(&a.ID, &a.GTIN, &a.Kind, &a.Message, &a.Remaining, &a.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list pool alerts: %w", err)
	}
	return out, nil
}

// Returned says what a return did.
type Returned struct {
	Returned    int      `json:"returned"`
	NotReturned []string `json:"not_returned"` // not issued to this site, or returned already
}

// Return gives unused serials back. They stay recorded as issued — a returned serial is
// never issued again — but no longer count as allocated to the site.
func (s *Store) Return(ctx context.Context, site, gtin string, serials []string) (Returned, error) {
	g, err := gs1.ParseGTIN(gtin)
	if err != nil {
		return Returned{}, domain.Errorf(domain.CodeInvalid, "gtin: %v", err)
	}
	if len(serials) == 0 || len(serials) > MaxCount {
		return Returned{}, domain.Errorf(domain.CodeInvalid, "serials: %d given, want 1 to %d", len(serials), MaxCount)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Returned{}, fmt.Errorf("return serials: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	rows, err := tx.Query(ctx, q.Get("ReturnSerials"), string(g), serials, site)
	if err != nil {
		return Returned{}, fmt.Errorf("return serials: %w", err)
	}
	var done []string
	perAlloc := map[int64]int32{}
	var serial string
	var allocID int64
	if _, err := pgx.ForEachRow(rows, []any{&serial, &allocID}, func() error {
		done = append(done, serial)
		perAlloc[allocID]++
		return nil
	}); err != nil {
		return Returned{}, fmt.Errorf("return serials: %w", err)
	}
	if _, err := tx.Exec(ctx, q.Get("CountReturned"), string(g), len(done)); err != nil {
		return Returned{}, fmt.Errorf("return serials: %w", err)
	}
	ids, counts := make([]int64, 0, len(perAlloc)), make([]int32, 0, len(perAlloc))
	for id, n := range perAlloc {
		ids, counts = append(ids, id), append(counts, n)
	}
	if _, err := tx.Exec(ctx, q.Get("InsertReturns"), ids, counts); err != nil {
		return Returned{}, fmt.Errorf("return serials: count per allocation: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Returned{}, fmt.Errorf("return serials: %w", err)
	}
	set := make(map[string]struct{}, len(done))
	for _, d := range done {
		set[d] = struct{}{}
	}
	res := Returned{Returned: len(done), NotReturned: []string{}}
	for _, sr := range serials {
		if _, ok := set[sr]; !ok {
			res.NotReturned = append(res.NotReturned, sr)
		}
	}
	s.log.Info("serials returned", "site", site, "gtin", string(g), "count", len(done), "refused", len(res.NotReturned))
	return res, nil
}

// Issued is what the hub knows about one issued serial.
type Issued struct {
	AllocationID int64
	SiteID       string
	LineID       string
	Lot          string
	WorkOrder    string
	RequestID    string
	Returned     bool // given back unused: not allocated any more
}

// allocatedChunk bounds the array sent in one query.
const allocatedChunk = 50_000

// Allocated returns, for each of serials issued for gtin (14 digits), to which site and line
// it was issued. Serials never issued are absent from the map. Built for intake checking a
// whole document: one query per 50,000 serials.
func (s *Store) Allocated(ctx context.Context, gtin string, serials []string) (map[string]Issued, error) {
	out := make(map[string]Issued, len(serials))
	allocs := map[int64]Issued{}
	type hit struct {
		serial   string
		id       int64
		returned bool
	}
	var hits []hit
	for start := 0; start < len(serials); start += allocatedChunk {
		chunk := serials[start:min(start+allocatedChunk, len(serials))]
		rows, err := s.pool.Query(ctx, q.Get("Allocated"), gtin, chunk)
		if err != nil {
			return nil, fmt.Errorf("allocated serials of %s: %w", gtin, err)
		}
		var h hit
		_, err = pgx.ForEachRow(rows, []any{&h.serial, &h.id, &h.returned}, func() error {
			hits = append(hits, h)
			allocs[h.id] = Issued{}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("allocated serials of %s: %w", gtin, err)
		}
	}
	ids := make([]int64, 0, len(allocs))
	for id := range allocs {
		ids = append(ids, id)
	}
	rows, err := s.pool.Query(ctx, q.Get("AllocationsByID"), ids)
	if err != nil {
		return nil, fmt.Errorf("allocations of %s: %w", gtin, err)
	}
	var a Allocation
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.RequestID, &a.SiteID, &a.LineID, &a.GTIN, &a.Lot, &a.WorkOrder, &a.Count, &a.CreatedAt},
		func() error {
			allocs[a.ID] = Issued{AllocationID: a.ID, SiteID: a.SiteID, LineID: a.LineID, Lot: a.Lot, WorkOrder: a.WorkOrder, RequestID: a.RequestID}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("allocations of %s: %w", gtin, err)
	}
	for _, h := range hits {
		is := allocs[h.id]
		is.Returned = h.returned
		out[h.serial] = is
	}
	return out, nil
}
