// Package sqlfile loads named queries from embedded .sql files, so that SQL lives in .sql
// files (readable, greppable, highlighted) and Go code refers to it by name. A query starts at
// a line `-- name: QueryName` and runs to the next such line.
package sqlfile

import (
	"fmt"
	"io/fs"
	"strings"
)

// Queries maps query names to SQL text.
type Queries map[string]string

// MustLoad parses every .sql file in fsys (embedded at build time, so a failure is a bug
// caught by any test of the package) and panics on duplicate or unnamed queries.
func MustLoad(fsys fs.FS) Queries {
	q := Queries{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return parse(q, p, string(b))
	})
	if err != nil {
		panic(fmt.Sprintf("sqlfile: %v", err))
	}
	return q
}

func parse(q Queries, file, text string) error {
	var name string
	var body strings.Builder
	flush := func() error {
		s := strings.TrimSpace(body.String())
		body.Reset()
		if name == "" {
			if s != "" && !onlyComments(s) {
				return fmt.Errorf("%s: SQL before the first `-- name:` line", file)
			}
			return nil
		}
		if _, dup := q[name]; dup {
			return fmt.Errorf("%s: query %s defined twice", file, name)
		}
		q[name] = s
		return nil
	}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			if err := flush(); err != nil {
				return err
			}
			name = strings.TrimSpace(rest)
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	return flush()
}

func onlyComments(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			return false
		}
	}
	return true
}

// Get returns the named query; a missing name is a programming error.
func (q Queries) Get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("sqlfile: no query named " + name)
	}
	return s
}
