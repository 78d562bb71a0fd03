package alerts

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		name string
		a    Alert
		f    Facts
		want string
	}{
		{"A3 GS lost", Alert{Code: "A3", Serial: "AB1217281130"}, Facts{ScanCandidate: "AB12", Commissioned: false}, CauseScanError},
		{"A3 in flight", Alert{Code: "A3"}, Facts{Commissioned: true, Uploaded: true, UploadStatus: "delivering"}, CauseInFlight},
		{"A3 awaiting ack", Alert{Code: "A3"}, Facts{Commissioned: true, Uploaded: true, UploadStatus: "pending"}, CauseInFlight},
		{"A3 upload rejected", Alert{Code: "A3"}, Facts{Commissioned: true, Uploaded: true, UploadStatus: "rejected"}, CauseUploadFailed},
		{"A3 uploaded and acked", Alert{Code: "A3"}, Facts{Commissioned: true, Uploaded: true, UploadStatus: "accepted"}, CauseHubInconsistent},
		{"A3 never uploaded", Alert{Code: "A3"}, Facts{Commissioned: true}, CauseNotUploaded},
		{"A3 never commissioned", Alert{Code: "A3"}, Facts{}, CauseNeverCommissioned},
		{"A52 we uploaded wrong expiry", Alert{Code: "A52", Expiry: "281130"}, Facts{Commissioned: true, Uploaded: true, OurExpiry: "281130", UploadedExpiry: "281131"}, CauseUploadedWrong},
		{"A52 pack differs", Alert{Code: "A52", Expiry: "291130"}, Facts{Commissioned: true, Uploaded: true, OurExpiry: "281130", UploadedExpiry: "281130"}, CausePackDiffers},
		{"A52 unknown serial", Alert{Code: "A52", Expiry: "291130"}, Facts{}, CauseNeverCommissioned},
		{"A52 matches", Alert{Code: "A52", Expiry: "281130"}, Facts{Commissioned: true, Uploaded: true, OurExpiry: "281130", UploadedExpiry: "281130"}, CauseScanMatches},
		{"A68 pack differs", Alert{Code: "A68", Lot: "L9"}, Facts{Commissioned: true, Uploaded: true, OurLot: "L1", UploadedLot: "L1"}, CausePackDiffers},
		{"A68 uploaded wrong", Alert{Code: "A68", Lot: "L1"}, Facts{Commissioned: true, Uploaded: true, OurLot: "L1", UploadedLot: "L2"}, CauseUploadedWrong},
		{"A24 decommissioned by us", Alert{Code: "A24"}, Facts{Commissioned: true, Uploaded: true, Decommissioned: "exported"}, CauseDecommissionedUs},
		{"A24 recalled", Alert{Code: "A24"}, Facts{Commissioned: true, Uploaded: true, Recalled: true}, CauseRecalled},
		{"A24 elsewhere", Alert{Code: "A24"}, Facts{Commissioned: true, Uploaded: true}, CauseDecommissionedElsewhere},
		{"A24 unknown", Alert{Code: "A24"}, Facts{}, CauseNeverCommissioned},
		{"A7 by us", Alert{Code: "A7"}, Facts{Commissioned: true, Decommissioned: "sample"}, CauseDecommissionedUs},
		{"A2 released and done", Alert{Code: "A2"}, Facts{LotReleased: true, LotUploadDone: true}, CauseHubInconsistent},
		{"A2 in flight", Alert{Code: "A2"}, Facts{LotReleased: true}, CauseInFlight},
		{"A2 not uploaded", Alert{Code: "A2"}, Facts{LotKnown: true}, CauseBatchNotUploaded},
		{"A2 unknown", Alert{Code: "A2"}, Facts{}, CauseBatchUnknown},
		{"other code", Alert{Code: "A99"}, Facts{}, CauseManual},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Classify(c.a, c.f)
			if got.Cause != c.want || got.Action == "" {
				t.Fatalf("got %+v, want %s", got, c.want)
			}
		})
	}
}

func TestScanTail(t *testing.T) {
	cases := []struct {
		scanned, known string
		want           bool
	}{
		{"AB1217281130", "AB12", true},                        // GS lost before AI 17
		{"AB1210L2026A", "AB12", true},                        // before AI 10
		{"ABCDEFGHIJKLMNOPQRS1", "ABCDEFGHIJKLMNOPQRS", true}, // truncated at 20
		{"AB12<GS>17281130", "AB12", true},
		{"AB12X", "AB12", false},
		{"AB12", "AB12", false},
		{"AB1317281130", "AB12", false},
	}
	for _, c := range cases {
		if got := ScanTail(c.scanned, c.known); got != c.want {
			t.Errorf("ScanTail(%q, %q) = %v", c.scanned, c.known, got)
		}
	}
}
