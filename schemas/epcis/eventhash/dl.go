package eventhash

import (
	"strings"
)

// The event hash writes every GS1 identifier as a constrained canonical GS1 Digital Link URI
// (CBV 2.0 §8.9): https://id.gs1.org, primary key AIs instead of short names, no query,
// fragment or consumer product variant, and only the finest identification level (a serial
// wins over a lot). EPC pure identity, class and ID pattern URIs are converted first
// (TDS 2.x §7 and §12 give the mapping to element strings).

const dlHost = "https://id.gs1.org/"

// canonicalDL converts s when it is an EPC URI or a GS1 Digital Link URI of a supported key,
// and reports whether it did.
func canonicalDL(s string) (string, bool) {
	if strings.HasPrefix(s, "urn:epc:") {
		return epcToDL(s)
	}
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return normaliseDL(s)
	}
	return "", false
}

// checkDigit returns digits followed by their GS1 mod-10 check digit.
func checkDigit(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitEPC splits the body of an EPC URI at dots: urn:epc:id:sgtin:CP.IR.S → [CP IR S].
// The last field is taken whole (serials may not contain dots, but GDTI and CPI forms with
// empty fields produce "..", which Split handles).
func splitEPC(body string, n int) ([]string, bool) {
	parts := strings.SplitN(body, ".", n)
	return parts, len(parts) == n
}

// companyPrefixOK checks the GS1 Company Prefix (6 to 12 digits) and that it and the
// following numeric field together have total digits.
func companyPrefixOK(cp, ref string, total int) bool {
	return len(cp) >= 6 && len(cp) <= 12 && allDigits(cp) && allDigits(ref) && len(cp)+len(ref) == total
}

// gtinOf builds the GTIN-14 from company prefix and indicator/item reference.
func gtinOf(cp, ir string) (string, bool) {
	if !companyPrefixOK(cp, ir, 13) {
		return "", false
	}
	return checkDigit(ir[:1] + cp + ir[1:]), true
}

// serialOK checks an EPC URI serial or reference: GS1 AI encodable set 82 characters in URI
// form, i.e. unreserved characters, the few allowed sub-delims and %-escapes.
func serialOK(s string, max int) bool {
	if s == "" {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case strings.IndexByte("!'()*+,-.:;=_", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
		n++
	}
	return n <= max
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// dlValue writes an EPC URI component as a Digital Link path value: %-escapes stay, and the
// characters a Digital Link path must escape but an EPC URI leaves bare are escaped.
func dlValue(s string) string {
	if !strings.ContainsAny(s, "!()*+,:") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '!':
			b.WriteString("%21")
		case '(':
			b.WriteString("%28")
		case ')':
			b.WriteString("%29")
		case '*':
			b.WriteString("%2A")
		case '+':
			b.WriteString("%2B")
		case ',':
			b.WriteString("%2C")
		case ':':
			b.WriteString("%3A")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// epcToDL converts EPC pure identity URIs (urn:epc:id:), the LGTIN class URI and ID pattern
// URIs whose only wildcard is the serial.
func epcToDL(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "urn:epc:")
	if !ok {
		return "", false
	}
	kind, rest, _ := strings.Cut(rest, ":")
	scheme, body, ok := strings.Cut(rest, ":")
	if !ok {
		return "", false
	}
	switch kind {
	case "id":
		return epcIDToDL(scheme, body)
	case "class":
		if scheme != "lgtin" {
			return "", false
		}
		p, ok := splitEPC(body, 3)
		if !ok {
			return "", false
		}
		gtin, ok := gtinOf(p[0], p[1])
		if !ok || !serialOK(p[2], 20) {
			return "", false
		}
		return dlHost + "01/" + gtin + "/10/" + dlValue(p[2]), true
	case "idpat":
		return epcPatternToDL(scheme, body)
	}
	return "", false
}

func epcIDToDL(scheme, body string) (string, bool) {
	switch scheme {
	case "sgtin", "upui":
		p, ok := splitEPC(body, 3)
		if !ok {
			return "", false
		}
		gtin, ok := gtinOf(p[0], p[1])
		if !ok {
			return "", false
		}
		if scheme == "sgtin" && serialOK(p[2], 20) {
			return dlHost + "01/" + gtin + "/21/" + dlValue(p[2]), true
		}
		if scheme == "upui" && serialOK(p[2], 28) {
			return dlHost + "01/" + gtin + "/235/" + dlValue(p[2]), true
		}
	case "sscc":
		p, ok := splitEPC(body, 2)
		if !ok || !companyPrefixOK(p[0], p[1], 17) {
			return "", false
		}
		return dlHost + "00/" + checkDigit(p[1][:1]+p[0]+p[1][1:]), true
	case "sgln":
		p, ok := splitEPC(body, 3)
		if !ok || !companyPrefixOK(p[0], p[1], 12) || !serialOK(p[2], 20) {
			return "", false
		}
		gln := checkDigit(p[0] + p[1])
		if p[2] == "0" {
			return dlHost + "414/" + gln, true
		}
		return dlHost + "414/" + gln + "/254/" + dlValue(p[2]), true
	case "pgln":
		p, ok := splitEPC(body, 2)
		if !ok || !companyPrefixOK(p[0], p[1], 12) {
			return "", false
		}
		return dlHost + "417/" + checkDigit(p[0]+p[1]), true
	case "grai":
		p, ok := splitEPC(body, 3)
		if !ok || !companyPrefixOK(p[0], p[1], 12) || !serialOK(p[2], 16) {
			return "", false
		}
		return dlHost + "8003/0" + checkDigit(p[0]+p[1]) + dlValue(p[2]), true
	case "giai":
		p, ok := splitEPC(body, 2)
		if !ok || len(p[0]) < 6 || len(p[0]) > 12 || !allDigits(p[0]) || !serialOK(p[1], 30-len(p[0])) {
			return "", false
		}
		return dlHost + "8004/" + p[0] + dlValue(p[1]), true
	case "gsrn", "gsrnp":
		p, ok := splitEPC(body, 2)
		if !ok || !companyPrefixOK(p[0], p[1], 17) {
			return "", false
		}
		ai := "8018/"
		if scheme == "gsrnp" {
			ai = "8017/"
		}
		return dlHost + ai + checkDigit(p[0]+p[1]), true
	case "gdti", "sgcn":
		p, ok := splitEPC(body, 3)
		if !ok || !companyPrefixOK(p[0], p[1], 12) {
			return "", false
		}
		if scheme == "gdti" && serialOK(p[2], 17) {
			return dlHost + "253/" + checkDigit(p[0]+p[1]) + dlValue(p[2]), true
		}
		if scheme == "sgcn" && allDigits(p[2]) && p[2] != "" && len(p[2]) <= 12 {
			return dlHost + "255/" + checkDigit(p[0]+p[1]) + p[2], true
		}
	case "cpi":
		// urn:epc:id:cpi:CP.CPRef.Serial; CPRef may itself hold escaped characters but no dot.
		first := strings.IndexByte(body, '.')
		last := strings.LastIndexByte(body, '.')
		if first < 0 || last <= first {
			return "", false
		}
		cp, ref, serial := body[:first], body[first+1:last], body[last+1:]
		if len(cp) < 6 || len(cp) > 12 || !allDigits(cp) || ref == "" || !serialOK(ref, 30-len(cp)) ||
			serial == "" || len(serial) > 12 || !allDigits(serial) {
			return "", false
		}
		return dlHost + "8010/" + cp + dlValue(ref) + "/8011/" + serial, true
	case "ginc":
		p, ok := splitEPC(body, 2)
		if !ok || len(p[0]) < 6 || len(p[0]) > 12 || !allDigits(p[0]) || !serialOK(p[1], 30-len(p[0])) {
			return "", false
		}
		return dlHost + "401/" + p[0] + dlValue(p[1]), true
	case "gsin":
		p, ok := splitEPC(body, 2)
		if !ok || !companyPrefixOK(p[0], p[1], 16) {
			return "", false
		}
		return dlHost + "402/" + checkDigit(p[0]+p[1]), true
	case "itip":
		p, ok := splitEPC(body, 5)
		if !ok {
			return "", false
		}
		gtin, ok := gtinOf(p[0], p[1])
		if !ok || len(p[2]) != 2 || len(p[3]) != 2 || !allDigits(p[2]+p[3]) || !serialOK(p[4], 20) {
			return "", false
		}
		return dlHost + "8006/" + gtin + p[2] + p[3] + "/21/" + dlValue(p[4]), true
	}
	return "", false
}

// epcPatternToDL converts ID patterns with only the last field a wildcard to the class-level
// key.
func epcPatternToDL(scheme, body string) (string, bool) {
	head, ok := strings.CutSuffix(body, ".*")
	if !ok {
		return "", false
	}
	switch scheme {
	case "sgtin", "upui":
		p, ok := splitEPC(head, 2)
		if !ok {
			return "", false
		}
		if gtin, ok := gtinOf(p[0], p[1]); ok {
			return dlHost + "01/" + gtin, true
		}
	case "grai", "gdti", "sgcn":
		p, ok := splitEPC(head, 2)
		if !ok || !companyPrefixOK(p[0], p[1], 12) {
			return "", false
		}
		key := checkDigit(p[0] + p[1])
		switch scheme {
		case "grai":
			return dlHost + "8003/0" + key, true
		case "gdti":
			return dlHost + "253/" + key, true
		default:
			return dlHost + "255/" + key, true
		}
	case "cpi":
		p, ok := splitEPC(head, 2)
		if !ok || len(p[0]) < 6 || len(p[0]) > 12 || !allDigits(p[0]) || !serialOK(p[1], 30-len(p[0])) {
			return "", false
		}
		return dlHost + "8010/" + p[0] + dlValue(p[1]), true
	case "itip":
		p, ok := splitEPC(head, 4)
		if !ok {
			return "", false
		}
		gtin, ok := gtinOf(p[0], p[1])
		if !ok || len(p[2]) != 2 || len(p[3]) != 2 || !allDigits(p[2]+p[3]) {
			return "", false
		}
		return dlHost + "8006/" + gtin + p[2] + p[3], true
	}
	return "", false
}

// dlShortNames maps the Digital Link short names of keys and qualifiers to their AIs.
var dlShortNames = map[string]string{
	"gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
	"gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
	"grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}

// dlPrimaryKeys are the AIs of the primary keys a Digital Link path may start with.
var dlPrimaryKeys = map[string]bool{
	"01": true, "8006": true, "8010": true, "414": true, "417": true, "8017": true, "8018": true,
	"255": true, "00": true, "253": true, "401": true, "402": true, "8003": true, "8004": true,
}

// normaliseDL rewrites a Digital Link URI (any host, any path prefix) to the constrained
// canonical form, or reports false when s holds no supported key.
func normaliseDL(s string) (string, bool) {
	rest := s[strings.Index(s, "//")+2:]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return "", false
	}
	path := rest[slash+1:]
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segs := strings.Split(strings.TrimSuffix(path, "/"), "/")
	start := -1
	for i := 0; i+1 < len(segs); i++ {
		ai := segs[i]
		if long, ok := dlShortNames[ai]; ok {
			ai = long
		}
		if dlPrimaryKeys[ai] && len(segs[i+1]) > 4 && allDigits(segs[i+1][:4]) {
			start = i
			break
		}
	}
	if start < 0 || (len(segs)-start)%2 != 0 {
		return "", false
	}
	type pair struct{ ai, v string }
	var pairs []pair
	for i := start; i < len(segs); i += 2 {
		ai := segs[i]
		if long, ok := dlShortNames[ai]; ok {
			ai = long
		}
		if ai == "22" { // consumer product variant: not an identification level
			continue
		}
		pairs = append(pairs, pair{ai, segs[i+1]})
	}
	key := pairs[0]
	if key.ai == "01" {
		switch len(key.v) {
		case 8, 12, 13:
			key.v = strings.Repeat("0", 14-len(key.v)) + key.v
		}
	}
	quals := map[string]string{}
	for _, p := range pairs[1:] {
		if _, dup := quals[p.ai]; dup {
			return "", false
		}
		quals[p.ai] = p.v
	}
	if key.ai == "01" || key.ai == "8006" {
		if _, ok := quals["21"]; ok {
			delete(quals, "10")
		}
	}
	if !validCanonical(key.ai, key.v, quals) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(dlHost)
	b.WriteString(key.ai)
	b.WriteByte('/')
	b.WriteString(key.v)
	for _, ai := range [...]string{"10", "21", "235", "254", "8011"} {
		if v, ok := quals[ai]; ok {
			b.WriteString("/" + ai + "/" + v)
		}
	}
	return b.String(), true
}

// validCanonical checks the result has one of the shapes the constrained canonical form
// allows.
func validCanonical(ai, v string, quals map[string]string) bool {
	only := func(allowed ...string) bool {
		if len(quals) > 1 {
			return false
		}
		for q := range quals {
			ok := false
			for _, a := range allowed {
				ok = ok || q == a
			}
			if !ok {
				return false
			}
		}
		return true
	}
	digits := func(n int) bool { return len(v) == n && allDigits(v) }
	switch ai {
	case "00":
		return digits(18) && only()
	case "01":
		return digits(14) && only("10", "21", "235")
	case "8006":
		return digits(18) && only("10", "21")
	case "414":
		return digits(13) && only("254")
	case "417":
		return digits(13) && only()
	case "8017", "8018":
		return digits(18) && only()
	case "402":
		return digits(17) && only()
	case "253", "255":
		return len(v) >= 13 && allDigits(v[:13]) && only()
	case "8003":
		return len(v) >= 14 && allDigits(v[:14]) && only()
	case "8004", "401":
		return only()
	case "8010":
		return only("8011")
	}
	return false
}
