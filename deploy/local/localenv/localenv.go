// Package localenv reads the connection settings that the local stack scripts
// (deploy/local/stack.sh) write to deploy/local/data/env, so that the serialhub binary and the
// tests find the servers `make up` started without any configuration.
package localenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// RelPath is where the stack scripts write the env file, relative to the repository root.
const RelPath = "deploy/local/data/env"

// Find walks up from dir to the first folder holding RelPath and returns the file's path, or
// "" when there is none.
func Find(dir string) string {
	for {
		p := filepath.Join(dir, RelPath)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Read parses KEY=value lines (blank lines and # comments skipped, optional quotes removed).
func Read(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vals[strings.TrimSpace(k)] = v
	}
	return vals, sc.Err()
}

// Getenv returns a lookup that prefers the process environment and falls back to the local
// stack's env file found from the working directory.
func Getenv() func(string) string {
	var file map[string]string
	if wd, err := os.Getwd(); err == nil {
		if p := Find(wd); p != "" {
			file, _ = Read(p)
		}
	}
	return func(k string) string {
		if v, ok := os.LookupEnv(k); ok {
			return v
		}
		return file[k]
	}
}
