package analytics

import (
	"strconv"
	"strings"
	"time"
)

// ClickHouse queries here are built with literals rather than bound parameters: the driver
// renders a bound slice as an array, which `IN` on 18.16 does not take, and lists of
// thousands of identifiers are common (recall by serials, ancestors of a lot). Every value
// goes through lit, which escapes it for a single-quoted ClickHouse string.

var litEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// lit is s as a ClickHouse string literal.
func lit(s string) string { return "'" + litEscaper.Replace(s) + "'" }

// litList is ss as a parenthesised list of string literals, for IN. An empty list is (”)
// so the SQL stays valid and matches nothing real.
func litList(ss []string) string {
	if len(ss) == 0 {
		return "('')"
	}
	var b strings.Builder
	b.Grow(len(ss) * 40)
	b.WriteByte('(')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(lit(s))
	}
	b.WriteByte(')')
	return b.String()
}

// litTime is t as a ClickHouse DateTime expression (UTC seconds).
func litTime(t time.Time) string {
	return "toDateTime(" + strconv.FormatInt(t.Unix(), 10) + ")"
}

// bigQuery is the settings of recall's queries: the parser's limit raised for queries that
// carry long identifier lists (18.16's default max_query_size is 256 KiB), and ranges of
// 8,192 rows read by several threads (default: 163,840), so that the 45,000 rows of a lot
// are not read and finalized by one (cold lot at 100M rows: 180-211 ms -> 129-181 ms).
var bigQuery = map[string]any{"max_query_size": 256 << 20, "merge_tree_min_rows_for_concurrent_read": 8192}
