// Package jsonschematest validates documents against the official EPCIS 2.0 JSON schema
// (EPCIS-JSON-Schema.json from the shared GS1 vectors) in tests. It is the only place the
// repository uses a JSON Schema library, and only test code imports it.
package jsonschematest

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/serialhub/serialhub/schemas/internal/testvectors"
)

var (
	once   sync.Once
	schema *jsonschema.Schema
	errC   error
)

// Validate checks doc against the schema, with format assertions on (the schema's "uri" and
// "date-time" formats are enforced). It skips the test when the vectors are missing.
func Validate(tb testing.TB, doc []byte) error {
	tb.Helper()
	path := testvectors.Path(tb, "epcis-2.0", "json-schema", "EPCIS-JSON-Schema.json")
	once.Do(func() { schema, errC = compile(path) })
	if errC != nil {
		tb.Fatalf("compiling the EPCIS JSON schema: %v", errC)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.Validate(v)
}

func compile(path string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseRegexpEngine(lookaheadEngine)
	const url = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// lookaheadEngine compiles the schema's patterns with Go's regexp, which lacks negative
// lookahead; the schema uses it only as "^(?!(alternatives))", handled here by negation.
func lookaheadEngine(s string) (jsonschema.Regexp, error) {
	if inner, ok := strings.CutPrefix(s, "^(?!"); ok && strings.HasSuffix(inner, ")") {
		re, err := regexp.Compile("^(?:" + strings.TrimSuffix(inner, ")") + ")")
		if err != nil {
			return nil, err
		}
		return notRegexp{re}, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	return re, nil
}

type notRegexp struct{ re *regexp.Regexp }

func (n notRegexp) MatchString(s string) bool { return !n.re.MatchString(s) }
func (n notRegexp) String() string            { return "not " + n.re.String() }
