package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/serialhub/serialhub/schemas/gs1"
)

const gs1Usage = `usage: serialhub gs1 <command> [arguments]

commands:
  parse [-gcp N] INPUT   detect and validate a GS1 element string (raw with GS or "^"
                         separators, with or without ]d2/]C1/]Q3, or "(01)...(21)..."),
                         a GS1 Digital Link URI or an EPC URI; print its AIs and keys as
                         JSON. -gcp gives the GS1 Company Prefix length so that the EPC
                         URI can be printed too.
  check-digit DIGITS     print DIGITS followed by their GS1 mod-10 check digit
`

// gs1Report is the JSON printed by "gs1 parse".
type gs1Report struct {
	Kind        gs1.Kind      `json:"kind"`
	SymbologyID string        `json:"symbologyId,omitempty"`
	AIs         []gs1.AIField `json:"ais"`
	Keys        gs1.Keys      `json:"keys"`
	EPC         string        `json:"epc,omitempty"`
	Pattern     any           `json:"pattern,omitempty"`
	DigitalLink string        `json:"digitalLink,omitempty"`
	Unchecked   []string      `json:"unchecked,omitempty"`
}

// runGS1 implements "serialhub gs1 ...". Invalid input yields a non-nil error naming
// what is wrong; nothing is printed to stdout in that case.
func runGS1(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, gs1Usage)
		return errors.New("gs1: missing command")
	}
	switch args[0] {
	case "parse":
		return runGS1Parse(args[1:], stdout, stderr)
	case "check-digit":
		if len(args) != 2 {
			fmt.Fprint(stderr, gs1Usage)
			return errors.New("gs1 check-digit: want exactly one DIGITS argument")
		}
		cd, err := gs1.CheckDigit(args[1])
		if err != nil {
			return fmt.Errorf("gs1 check-digit: %w", err)
		}
		_, err = fmt.Fprintf(stdout, "%s%c\n", args[1], cd)
		return err
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, gs1Usage)
		return nil
	}
	fmt.Fprint(stderr, gs1Usage)
	return fmt.Errorf("gs1: unknown command %q", args[0])
}

func runGS1Parse(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gs1 parse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gcp := fs.Int("gcp", 0, "GS1 Company Prefix length (6-12), to render the EPC URI")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("gs1 parse: %w", err)
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, gs1Usage)
		return errors.New("gs1 parse: want exactly one INPUT argument (quote it)")
	}
	r, err := gs1.ParseAny(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("gs1 parse: %w", err)
	}
	rep := gs1Report{
		Kind:        r.Kind,
		SymbologyID: r.SymbologyID,
		AIs:         r.Fields(),
		Keys:        r.Keys,
		EPC:         r.EPC,
		DigitalLink: r.DigitalLink,
		Unchecked:   r.Unchecked,
	}
	if r.Pattern != nil {
		rep.Pattern = r.Pattern
	}
	if *gcp != 0 && rep.EPC == "" {
		epc, err := r.EPCURI(*gcp)
		if err != nil {
			return fmt.Errorf("gs1 parse: -gcp %d: %w", *gcp, err)
		}
		rep.EPC = epc
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("gs1 parse: encoding JSON: %w", err)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
