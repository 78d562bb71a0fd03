package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/epcis/eventhash"
)

const epcisUsage = `usage: serialhub epcis <command> [arguments]

commands:
  validate FILE...                       decode every file completely (EPCIS 1.2/2.0 XML or
                                         2.0 JSON-LD, detected from the content); print one
                                         line per file; fail unless all are valid
  convert --to 1.2-xml|2.0-xml|2.0-json FILE
                                         convert FILE to the given format on stdout
  hash [--prehash] FILE                  print the CBV 2.0 event hash ID of each event, one per
                                         line in document order (--prehash: the pre-hash
                                         strings instead)
`

// runEPCIS implements "serialhub epcis ...". Errors name the file and, for bad documents,
// the event and field (the *epcis.DecodeError of the decoders).
func runEPCIS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, epcisUsage)
		return errors.New("epcis: missing command")
	}
	switch args[0] {
	case "validate":
		return runEPCISValidate(ctx, args[1:], stdout, stderr)
	case "convert":
		return runEPCISConvert(ctx, args[1:], stdout, stderr)
	case "hash":
		return runEPCISHash(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, epcisUsage)
		return nil
	}
	fmt.Fprint(stderr, epcisUsage)
	return fmt.Errorf("epcis: unknown command %q", args[0])
}

// openEPCIS opens path and detects its format from its first bytes. The file stays at its
// start, so that decoders get a seekable reader (the JSON-LD decoder reads ahead to a
// trailing @context).
func openEPCIS(path string) (*os.File, codec.Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, codec.Unknown, err
	}
	peek := make([]byte, 4096)
	n, err := f.ReadAt(peek, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, codec.Unknown, fmt.Errorf("%s: %w", path, err)
	}
	format, err := codec.Detect("", peek[:n])
	if err != nil {
		f.Close()
		return nil, codec.Unknown, fmt.Errorf("%s: %w", path, err)
	}
	return f, format, nil
}

func runEPCISValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, epcisUsage)
		return errors.New("epcis validate: no files")
	}
	bad := 0
	for _, path := range args {
		format, events, err := validateFile(ctx, path)
		if err != nil {
			bad++
			fmt.Fprintf(stdout, "%s: INVALID: %v\n", path, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: valid %s, %d events\n", path, format, events)
	}
	if bad > 0 {
		return fmt.Errorf("epcis validate: %d of %d files invalid", bad, len(args))
	}
	return nil
}

// validateFile decodes a whole file; the error is the first problem found.
func validateFile(ctx context.Context, path string) (codec.Format, int, error) {
	f, format, err := openEPCIS(path)
	if err != nil {
		return codec.Unknown, 0, err
	}
	defer f.Close()
	dec, err := codec.NewDecoder(f, format, epcis.Limits{})
	if err != nil {
		return format, 0, err
	}
	if _, err := dec.Document(); err != nil {
		return format, 0, err
	}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return format, n, err
		}
		_, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return format, n, nil
		}
		if err != nil {
			return format, n, err
		}
		n++
	}
}

func runEPCISConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("epcis convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "target format: 1.2-xml, 2.0-xml or 2.0-json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *to == "" {
		fmt.Fprint(stderr, epcisUsage)
		return errors.New("epcis convert: want --to FORMAT and exactly one FILE")
	}
	target, err := codec.ParseFormat(*to)
	if err != nil {
		return fmt.Errorf("epcis convert: %w", err)
	}
	path := fs.Arg(0)
	f, format, err := openEPCIS(path)
	if err != nil {
		return fmt.Errorf("epcis convert: %w", err)
	}
	defer f.Close()
	if err := codec.Convert(ctxReader{ctx, f}, format, target, stdout); err != nil {
		return fmt.Errorf("epcis convert: %s: %w", path, err)
	}
	return nil
}

func runEPCISHash(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("epcis hash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pre := fs.Bool("prehash", false, "print the canonical pre-hash strings instead of the IDs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, epcisUsage)
		return errors.New("epcis hash: want exactly one FILE")
	}
	path := fs.Arg(0)
	f, format, err := openEPCIS(path)
	if err != nil {
		return fmt.Errorf("epcis hash: %w", err)
	}
	defer f.Close()
	var dec epcis.Decoder
	if format == codec.JSONLD {
		dec, err = codec.NewDecoder(f, format, epcis.Limits{})
	} else {
		// An event's hash does not depend on the order of its fields, so neither does reading it.
		dec = epcisxml.NewDecoder(f, epcis.Limits{}, epcisxml.AnyOrder())
	}
	if err != nil {
		return fmt.Errorf("epcis hash: %w", err)
	}
	doc, err := dec.Document()
	if err != nil {
		return fmt.Errorf("epcis hash: %s: %w", path, err)
	}
	// Header settings (ignoreFields) count when they precede the events.
	h := eventhash.NewHasher(doc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("epcis hash: %s: %w", path, err)
		}
		var out string
		if *pre {
			out, err = h.PreHash(e)
		} else {
			out, err = h.ID(e)
		}
		if err != nil {
			return fmt.Errorf("epcis hash: %s: %w", path, err)
		}
		if _, err := fmt.Fprintln(stdout, out); err != nil {
			return err
		}
	}
}

// ctxReader stops a long conversion when ctx is cancelled. It forwards Seek so that the
// JSON-LD decoder can still read ahead to a trailing @context.
type ctxReader struct {
	ctx context.Context
	f   *os.File
}

func (r ctxReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.f.Read(b)
}

func (r ctxReader) Seek(off int64, whence int) (int64, error) { return r.f.Seek(off, whence) }
