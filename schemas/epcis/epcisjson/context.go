package epcisjson

import (
	"strings"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// ContextURL is the standard EPCIS 2.0 JSON-LD context every document names.
const ContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// stdPrefixes are the prefixes the standard context defines. They are protected in JSON-LD:
// documents may not redefine them, so the encoder never declares them.
var stdPrefixes = map[string]string{
	"epcis":   "https://ref.gs1.org/epcis/",
	"cbv":     "https://ref.gs1.org/cbv/",
	"cbvmda":  "urn:epcglobal:cbv:mda:",
	"gs1":     "https://gs1.org/voc/",
	"rdfs":    "http://www.w3.org/2000/01/rdf-schema#",
	"owl":     "http://www.w3.org/2002/07/owl#",
	"xsd":     "http://www.w3.org/2001/XMLSchema#",
	"dcterms": "http://purl.org/dc/terms/",
}

// The standard context spells the CBV master-data namespace with a trailing colon
// ("urn:epcglobal:cbv:mda:"), the XML bindings without (epcis.NSCBVMDA). Names that reach
// the namespace only through the standard context's cbvmda prefix are decoded to
// epcis.NSCBVMDA, so that Event.LotNumber works for both bindings and the same event hashes
// alike from XML and JSON. A document that declares the prefix itself keeps what it declared.
const cbvmdaJSON = "urn:epcglobal:cbv:mda:"

// nsContext maps prefixes to namespaces: what one @context (document or event) declares.
type nsContext map[string]string

// parseContext reads an @context value (a URL string, an object, or an array of both) and adds
// the prefix definitions it holds to into. Remote contexts other than the standard one cannot
// be fetched and are ignored; so are keywords and term definitions that are not plain IRIs.
func parseContext(p *parser, into nsContext) {
	switch p.peek() {
	case '"':
		p.str()
	case '[':
		if !p.open('[') {
			return
		}
		for p.more() {
			switch p.peek() {
			case '"':
				p.str()
			case '{':
				parseContextObject(p, into)
			default:
				p.fail("must be a context URL or object, not %s", kindName(p.peek()))
			}
		}
	case '{':
		parseContextObject(p, into)
	default:
		p.fail("must be a context URL, object or array, not %s", kindName(p.peek()))
	}
}

func parseContextObject(p *parser, into nsContext) {
	if !p.open('{') {
		return
	}
	for p.more() {
		term := string(p.key)
		switch {
		case strings.HasPrefix(term, "@"):
			p.skip()
		case p.peek() == '"':
			iri, _ := p.str()
			if iri != "" && !strings.HasPrefix(iri, "@") {
				into[term] = iri
			}
		case p.peek() == '{':
			// Expanded term definition: {"@id": IRI, ...}.
			if !p.open('{') {
				return
			}
			for p.more() {
				if string(p.key) == "@id" && p.peek() == '"' {
					iri, _ := p.str()
					into[term] = iri
					continue
				}
				p.skip()
			}
		default:
			p.skip()
		}
	}
}

// resolver turns JSON-LD keys into namespace-qualified names.
type resolver struct {
	event nsContext // event-level @context, may be nil
	doc   nsContext // document-level @context
	// docPending is true while the document @context has not been read (it may follow the
	// body); unknown prefixes are then left unresolved instead of rejected.
	docPending bool
}

// name resolves key ("prefix:local", or an absolute IRI) to a Name. ok is false, with a
// message, when the key is not a namespaced name.
func (r *resolver) name(key string) (n epcis.Name, msg string) {
	colon := strings.IndexByte(key, ':')
	if colon <= 0 || colon == len(key)-1 {
		return n, "is not a namespaced name (user fields are written prefix:name)"
	}
	prefix, local := key[:colon], key[colon+1:]
	if ns, ok := r.lookup(prefix); ok {
		if ns == epcisNS {
			// A standard EPCIS term: unqualified in XML (see epcisNS).
			return epcis.Name{Local: local}, ""
		}
		return epcis.Name{Space: ns, Prefix: prefix, Local: local}, ""
	}
	if strings.HasPrefix(local, "//") { // an absolute IRI used as key
		cut := strings.LastIndexAny(key, "/#")
		if cut > colon+2 && cut < len(key)-1 {
			return epcis.Name{Space: key[:cut+1], Local: key[cut+1:]}, ""
		}
	}
	if r.docPending {
		return epcis.Name{Prefix: prefix, Local: local}, ""
	}
	return n, "uses prefix \"" + prefix + "\", which no @context defines"
}

func (r *resolver) lookup(prefix string) (string, bool) {
	if ns, ok := r.event[prefix]; ok {
		return ns, true
	}
	if ns, ok := r.doc[prefix]; ok {
		return ns, true
	}
	if ns, ok := stdPrefixes[prefix]; ok {
		if ns == cbvmdaJSON {
			ns = epcis.NSCBVMDA
		}
		return ns, true
	}
	return "", false
}
