package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
)

// The helpers of the commands that list and show the hub's records (`euhub requests`,
// `alerts list`, `recalls list|show`, `submissions list|show`): parse the flags, fetch the
// JSON of the REST API, print it as a table or as indented JSON.

// parseArg parses args with fs and returns the first positional argument, given before the
// flags or after them ("" when there is none).
func parseArg(fs *flag.FlagSet, args []string) (string, error) {
	arg, rest := firstArg(args)
	if err := fs.Parse(rest); err != nil {
		return "", err
	}
	if arg == "" {
		arg, _ = firstArg(fs.Args())
	}
	return arg, nil
}

// get fetches path from the REST API and decodes its JSON answer into out.
func (c *apiClient) get(ctx context.Context, path string, out any) error {
	_, err := c.do(ctx, http.MethodGet, path, "", nil, out)
	return err
}

// writeJSON writes v to out as indented JSON.
func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTable writes a table to out, its columns aligned: the header (columns separated by
// tabs), then the line that row writes for each item.
func writeTable[T any](out io.Writer, header string, items []T, row func(w io.Writer, item T)) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		row(tw, it)
	}
	return tw.Flush()
}
