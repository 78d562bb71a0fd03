package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const epcisTestDoc = `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2022-02-17T11:30:47.0Z",
 "epcisBody":{"eventList":[{"type":"ObjectEvent","action":"OBSERVE","bizStep":"shipping","disposition":"in_transit",
  "epcList":["urn:epc:id:sgtin:0614141.107346.2017","urn:epc:id:sgtin:0614141.107346.2018"],
  "eventTime":"2022-02-16T20:33:31.116000-06:00","eventTimeZoneOffset":"-06:00",
  "readPoint":{"id":"urn:epc:id:sgln:0614141.07346.1234"},
  "bizTransactionList":[{"type":"po","bizTransaction":"http://transaction.acme.com/po/12345678"}]}]}}`

// The ID of this event is published in the GS1 event hash vectors
// (epcisDocWithSingleEvent.hashes).
const epcisTestID = "ni:///sha-256;ffa491b16867e34a7791a8d5389d826afc24e63a121026b6a4004ace38631b4b?ver=CBV2.0"

func TestRunEPCIS(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonld")
	bad := filepath.Join(dir, "bad.jsonld")
	if err := os.WriteFile(good, []byte(epcisTestDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(epcisTestDoc, `"shipping"`, `"shippin"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runEPCIS(ctx, args, &out, &errOut)
		return out.String(), err
	}

	out, err := run("validate", good)
	if err != nil || !strings.Contains(out, "valid 2.0-json, 1 events") {
		t.Errorf("validate good: %q, %v", out, err)
	}
	out, err = run("validate", good, bad)
	if err == nil || !strings.Contains(out, bad+`: INVALID: event 0 (line 3), field bizStep: "shippin" is not a standard bizStep value`) {
		t.Errorf("validate bad: %q, %v", out, err)
	}

	out, err = run("hash", good)
	if err != nil || out != epcisTestID+"\n" {
		t.Errorf("hash: %q, %v", out, err)
	}

	xml, err := run("convert", "--to", "1.2-xml", good)
	if err != nil || !strings.Contains(xml, "urn:epcglobal:epcis:xsd:1") || !strings.Contains(xml, "urn:epcglobal:cbv:bizstep:shipping") {
		t.Fatalf("convert to 1.2: %v\n%s", err, xml)
	}
	back := filepath.Join(dir, "back.xml")
	if err := os.WriteFile(back, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = run("hash", back)
	if err != nil || out != epcisTestID+"\n" {
		t.Errorf("hash of the 1.2 XML: %q, %v", out, err)
	}

	for _, args := range [][]string{{}, {"nope"}, {"convert", good}, {"convert", "--to", "yaml", good}, {"hash"}, {"validate"}} {
		if _, err := run(args...); err == nil {
			t.Errorf("epcis %v succeeded", args)
		}
	}
}
