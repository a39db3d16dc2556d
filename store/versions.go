package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"kam/domain"
)

// Reads is what a report reads (SPEC §5.2): the kinds of extract, and for
// revenue the months from … to (both 0: none).
type Reads struct {
	Kinds []domain.Kind `json:"kinds"`
	From  domain.Month  `json:"from,omitempty"`
	To    domain.Month  `json:"to,omitempty"`
	// Basis is what besides the data the report depended on (the day it was read as of); "" when nothing.
	Basis string `json:"basis,omitempty"`
}

// Input is one piece of what a report read: a (month, business line) of
// revenue, or the whole of another kind; the loaded files that supplied it and
// a digest of its rows, which tells an unchanged re-drop from a correction.
type Input struct {
	Kind   domain.Kind  `json:"kind"`
	Month  domain.Month `json:"month,omitempty"` // revenue only
	Line   string       `json:"line,omitempty"`  // revenue only
	Files  []int64      `json:"files"`
	Names  []string     `json:"names"`
	Digest string       `json:"digest"`
}

// Label names the input as staff know it: 收入 2026-06 快递包裹, 客户.
func (in Input) Label() string {
	if in.Kind == domain.KindRevenue {
		return fmt.Sprintf("%s %s %s", domain.KindLabels[in.Kind], in.Month, in.Line)
	}
	return domain.KindLabels[in.Kind]
}

func (in Input) key() string { return fmt.Sprintf("%s|%d|%s", in.Kind, in.Month, in.Line) }

// Issue is what an issued run read, and whether a later file changed it (待更正).
type Issue struct {
	RunID       int64
	Job, Period string
	Reads       Reads
	Inputs      []Input
	IssuedAt    time.Time
	StaleReason string // "" while the run's data is unchanged
	StaleAt     time.Time
}

type issueRow struct {
	RunID       int64        `db:"run_id"`
	Job         string       `db:"job"`
	Period      string       `db:"period"`
	Reads       string       `db:"read_spec"`
	Inputs      string       `db:"inputs"`
	IssuedAt    time.Time    `db:"issued_at"`
	StaleReason string       `db:"stale_reason"`
	StaleAt     sql.NullTime `db:"stale_at"`
}

func (r issueRow) issue() (Issue, error) {
	is := Issue{RunID: r.RunID, Job: r.Job, Period: r.Period, IssuedAt: r.IssuedAt, StaleReason: r.StaleReason, StaleAt: r.StaleAt.Time}
	if err := json.Unmarshal([]byte(r.Reads), &is.Reads); err != nil {
		return is, fmt.Errorf("运行 %d 的读取范围: %w", r.RunID, err)
	}
	if err := json.Unmarshal([]byte(r.Inputs), &is.Inputs); err != nil {
		return is, fmt.Errorf("运行 %d 的输入记录: %w", r.RunID, err)
	}
	return is, nil
}

const issueColumns = `run_id, job, period, read_spec, inputs, issued_at, stale_reason, stale_at`

// RecordIssue records, with the run that issued a report, what it read.
func (t *Tx) RecordIssue(runID int64, job, period string, r Reads, inputs []Input, at time.Time) error {
	rs, err := json.Marshal(r)
	if err != nil {
		return err
	}
	is, err := json.Marshal(inputs)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO run_inputs (run_id, job, period, read_spec, inputs, issued_at, stale_reason)
		VALUES (?, ?, ?, ?, ?, ?, '')`, runID, job, period, string(rs), string(is), at.UTC())
	if err != nil {
		return fmt.Errorf("记录运行 %d 读取的数据: %w", runID, err)
	}
	return nil
}

// CurrentIssue is the latest issued run of a job's period; false when none was issued.
func (s *Store) CurrentIssue(ctx context.Context, job, period string) (Issue, bool, error) {
	var rows []issueRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumns+` FROM run_inputs WHERE job = ? AND period = ?
		ORDER BY run_id DESC LIMIT 1`, job, period); err != nil {
		return Issue{}, false, fmt.Errorf("读取 %s（%s）的发布记录: %w", job, period, err)
	}
	if len(rows) == 0 {
		return Issue{}, false, nil
	}
	is, err := rows[0].issue()
	return is, err == nil, err
}

// CurrentIssues is the latest issued run of every (job, period), oldest period first.
func (s *Store) CurrentIssues(ctx context.Context) ([]Issue, error) {
	var rows []issueRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumns+` FROM run_inputs i
		WHERE run_id = (SELECT MAX(run_id) FROM run_inputs l WHERE l.job = i.job AND l.period = i.period)
		ORDER BY period, job`); err != nil {
		return nil, fmt.Errorf("读取报表的发布记录: %w", err)
	}
	out := make([]Issue, 0, len(rows))
	for _, r := range rows {
		is, err := r.issue()
		if err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}

// StaleIssues are the current issues a later file has changed the data of (待更正), oldest period first.
func (s *Store) StaleIssues(ctx context.Context) ([]Issue, error) {
	all, err := s.CurrentIssues(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(is Issue) bool { return is.StaleReason == "" }), nil
}

// CorrectionFailedSince says whether a re-issue of a job's period (a run
// triggered by trigger) started at or after since and did not succeed: kam
// serve then waits for new data rather than failing it again every minute.
func (s *Store) CorrectionFailedSince(ctx context.Context, job, period, trigger string, since time.Time) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM job_runs WHERE job = ? AND period = ? AND triggered_by = ?
		AND started_at >= ? AND outcome IN (?, ?)`, job, period, trigger, since.UTC(), RunFailed, RunRefused)
	if err != nil {
		return false, fmt.Errorf("读取 %s（%s）的更正记录: %w", job, period, err)
	}
	return n > 0, nil
}

// MarkStale records why an issued run's reports are 待更正 ("" clears the mark).
func (s *Store) MarkStale(ctx context.Context, runID int64, reason string, at time.Time) error {
	var when any
	if reason != "" {
		when = at.UTC()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE run_inputs SET stale_reason = ?, stale_at = ? WHERE run_id = ?`, reason, when, runID)
	if err != nil {
		return fmt.Errorf("记录运行 %d 待更正: %w", runID, err)
	}
	return nil
}

// Inputs is what a report reading r would read now. Digests are computed
// only where the files differ from known's (an earlier issue's inputs): the
// same files hold the same rows.
func (s *Store) Inputs(ctx context.Context, r Reads, known []Input) ([]Input, error) {
	prior := map[string]Input{}
	for _, in := range known {
		prior[in.key()] = in
	}
	var out []Input
	for _, k := range r.Kinds {
		var found []Input
		var err error
		if k == domain.KindRevenue {
			found, err = s.revenueInputs(ctx, r.From, r.To)
		} else {
			found, err = s.kindInput(ctx, k)
		}
		if err != nil {
			return nil, err
		}
		for _, in := range found {
			if p, ok := prior[in.key()]; ok && slices.Equal(p.Files, in.Files) {
				in.Digest = p.Digest
			} else if in.Digest, err = s.inputDigest(ctx, in); err != nil {
				return nil, err
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// revenueInputs are the (month, line) pairs of from … to with the files their rows came from.
func (s *Store) revenueInputs(ctx context.Context, from, to domain.Month) ([]Input, error) {
	if from == 0 && to == 0 {
		return nil, nil
	}
	var rows []struct {
		Month int    `db:"month"`
		Line  string `db:"business_line"`
		File  int64  `db:"file_id"`
		Name  string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT p.month, p.business_line, p.file_id, COALESCE(f.name, '') AS name
		FROM (SELECT month, business_line, file_id FROM revenue WHERE month BETWEEN ? AND ? GROUP BY month, business_line, file_id) p
		LEFT JOIN files f ON f.id = p.file_id ORDER BY p.month, p.business_line, p.file_id`, int(from), int(to)); err != nil {
		return nil, fmt.Errorf("查询报表读取的收入: %w", err)
	}
	var out []Input
	for _, r := range rows {
		n := len(out)
		if n == 0 || out[n-1].Month != domain.Month(r.Month) || out[n-1].Line != r.Line {
			out = append(out, Input{Kind: domain.KindRevenue, Month: domain.Month(r.Month), Line: r.Line})
			n++
		}
		out[n-1].Files = append(out[n-1].Files, r.File)
		out[n-1].Names = append(out[n-1].Names, r.Name)
	}
	return out, nil
}

// kindInput is a kind loaded by upsert: the latest file of it loaded; none when never loaded.
func (s *Store) kindInput(ctx context.Context, k domain.Kind) ([]Input, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name FROM files
		WHERE id = (SELECT MAX(id) FROM files WHERE kind = ? AND outcome = ?)`, string(k), string(FileLoaded)); err != nil {
		return nil, fmt.Errorf("查询报表读取的文件: %w", err)
	}
	in := Input{Kind: k, Files: []int64{}, Names: []string{}}
	for _, r := range rows {
		in.Files, in.Names = append(in.Files, r.ID), append(in.Names, r.Name)
	}
	return []Input{in}, nil
}

// digestQueries read each kind's stored rows, the part of them reports use.
var digestQueries = map[domain.Kind][]string{
	domain.KindUnits:     {`SELECT * FROM units`},
	domain.KindManagers:  {`SELECT * FROM managers`},
	domain.KindCustomers: {`SELECT * FROM customers`},
	domain.KindClaims:    {`SELECT * FROM claims`},
	domain.KindSplits:    {`SELECT * FROM agreements`, `SELECT * FROM agreement_parties`},
	domain.KindTargets:   {`SELECT * FROM targets`},
	// A visit's 联系人 and 内容 are in no report: changing them corrects nothing.
	domain.KindVisits: {`SELECT id, customer_id, visited_on, visit_kind, staff_id, next_contact_on FROM visits`},
}

// inputDigest hashes an input's rows as a multiset: the same rows in another
// order, or from another file with the same content, give the same digest.
func (s *Store) inputDigest(ctx context.Context, in Input) (string, error) {
	var sum, n uint64
	add := func(rows *sqlx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				return err
			}
			var b strings.Builder
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "%v\x00", v)
			}
			h := sha256.Sum256([]byte(b.String()))
			sum += binary.BigEndian.Uint64(h[:8])
			n++
		}
		return rows.Err()
	}
	var queries []string
	var args [][]any
	if in.Kind == domain.KindRevenue {
		queries = []string{`SELECT customer_id, unit_code, amount FROM revenue WHERE month = ? AND business_line = ?`}
		args = [][]any{{int(in.Month), in.Line}}
	} else {
		queries = digestQueries[in.Kind]
		args = make([][]any, len(queries))
	}
	for i, q := range queries {
		rows, err := s.db.QueryxContext(ctx, q, args[i]...)
		if err != nil {
			return "", fmt.Errorf("读取%s的数据: %w", in.Label(), err)
		}
		if err := add(rows); err != nil {
			return "", fmt.Errorf("读取%s的数据: %w", in.Label(), err)
		}
	}
	var d [16]byte
	binary.BigEndian.PutUint64(d[:8], sum)
	binary.BigEndian.PutUint64(d[8:], n)
	return hex.EncodeToString(d[:]), nil
}

// InputChanges says what differs between what a report read (was) and what
// it would read now (now), in staff's words: 收入 2026-06 快递包裹 由 x.csv 替换.
// None when only files changed and their rows did not (an unchanged re-drop).
func InputChanges(was, now []Input) []string {
	old := map[string]Input{}
	for _, in := range was {
		old[in.key()] = in
	}
	var out []string
	for _, in := range now {
		p, ok := old[in.key()]
		delete(old, in.key())
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s 新增（%s）", in.Label(), strings.Join(in.Names, "、")))
		case p.Digest == in.Digest:
		case in.Kind == domain.KindRevenue:
			out = append(out, fmt.Sprintf("%s 由 %s 替换", in.Label(), strings.Join(newNames(p, in), "、")))
		default:
			out = append(out, fmt.Sprintf("%s 由 %s 更新", in.Label(), strings.Join(newNames(p, in), "、")))
		}
	}
	for _, in := range was {
		if _, gone := old[in.key()]; gone {
			out = append(out, fmt.Sprintf("%s 已无数据", in.Label()))
		}
	}
	return out
}

// newNames are the files of now that was did not have (all of now's when none is new).
func newNames(was, now Input) []string {
	var out []string
	for i, id := range now.Files {
		if !slices.Contains(was.Files, id) {
			out = append(out, now.Names[i])
		}
	}
	if len(out) == 0 {
		out = now.Names
	}
	if len(out) == 0 {
		out = []string{"（无文件）"}
	}
	return out
}

// Version is an archived file's place among its (job, period, unit)'s: 第 N 版.
type Version struct {
	ReportID int64
	Version  int
	Changes  int // rows of its 变更 sheet; 0 for the first version
}

// RecordVersion numbers an archived report, in the transaction that archives it.
func (t *Tx) RecordVersion(rep Report, v Version) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO report_versions (report_id, job, period, unit, version, changes) VALUES (?, ?, ?, ?, ?, ?)`,
		rep.ID, rep.Job, rep.Period, rep.Unit, v.Version, v.Changes)
	if err != nil {
		return fmt.Errorf("记录报表 %s 的版本: %w", rep.FileName, err)
	}
	return nil
}

// CurrentVersions are the latest versioned report of each unit and file name
// of a job's period ("" unit: the city's), with their version numbers.
func (s *Store) CurrentVersions(ctx context.Context, job, period string) ([]Report, error) {
	var rows []Report
	if err := s.db.SelectContext(ctx, &rows, `SELECT r.id, COALESCE(r.run_id, 0) AS run_id, r.job, r.period, r.unit, r.file_name, r.sha256, r.size, r.created_at, v.version
		FROM reports r JOIN report_versions v ON v.report_id = r.id WHERE v.job = ? AND v.period = ? ORDER BY v.version DESC, r.id DESC`, job, period); err != nil {
		return nil, fmt.Errorf("读取 %s（%s）已发布的版本: %w", job, period, err)
	}
	seen := map[[2]string]bool{}
	out := rows[:0]
	for _, r := range rows {
		k := [2]string{r.Unit, r.FileName}
		if seen[k] {
			continue
		}
		seen[k] = true
		r.Current = true
		out = append(out, r)
	}
	return out, nil
}
