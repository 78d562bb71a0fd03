package epcis

import "strings"

// Vocab is one of the code lists of the Core Business Vocabulary (CBV 2.0) or of the GS1 Web
// Vocabulary whose values EPCIS documents write in several equivalent forms:
//
//	bare     commissioning                                   (JSON-LD, resolved by @context)
//	URN      urn:epcglobal:cbv:bizstep:commissioning         (EPCIS 1.2 XML, allowed in 2.0 XML)
//	web URI  https://ref.gs1.org/cbv/BizStep-commissioning   (EPCIS 2.0, event hashing)
//	CURIE    cbv:BizStep-commissioning                       (2.0 XML and JSON-LD with a prefix)
//
// The vocabularies of sensor reports (measurement type, alert type) belong to the GS1 Web
// Vocabulary (https://gs1.org/voc/) and have no URN form.
//
// Events keep values as written; the methods of Vocab convert between forms when a binding,
// the event hash or a comparison needs one form. Values outside the vocabulary (user-defined
// URIs) pass through unchanged, so the conversions are safe to apply to any value.
type Vocab uint8

// The vocabularies. The zero Vocab is not a vocabulary and converts nothing.
const (
	VocabBizStep            Vocab = iota + 1 // bizStep
	VocabDisposition                         // disposition, persistentDisposition set/unset
	VocabBizTransactionType                  // bizTransaction type
	VocabSourceDestType                      // source and destination type
	VocabErrorReason                         // errorDeclaration reason
	VocabComponent                           // sensorReport component
	VocabMeasurementType                     // sensorReport type (GS1 Web Vocabulary)
	VocabSensorAlertType                     // sensorReport exception (GS1 Web Vocabulary)
)

// Form is one way of writing a vocabulary value.
type Form uint8

// The forms a vocabulary value can take (see Vocab).
const (
	FormBare Form = iota + 1
	FormURN
	FormWebURI
	FormCURIE
)

// Namespace URIs of the web forms.
const (
	CBVWebNS   = "https://ref.gs1.org/cbv/"
	GS1VocWeb  = "https://gs1.org/voc/"
	cbvLegacyN = "ns.gs1.org/cbv/" // pre-ratification host, still seen in the wild
)

type vocabDef struct {
	name      string // for messages
	urn       string // URN prefix, "" when the vocabulary has none
	web       string // web URI prefix, including the term prefix ("BizStep-")
	curie     string // CURIE prefix ("cbv:BizStep-")
	termStart string // term prefix inside the namespace ("BizStep-")
	values    []string
	set       map[string]struct{}
}

var vocabs = [...]vocabDef{
	VocabBizStep: {name: "bizStep", urn: "urn:epcglobal:cbv:bizstep:", termStart: "BizStep-", values: []string{
		"accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
		"creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
		"disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
		"installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
		"repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
		"sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
		"transporting", "unloading", "unpacking", "void_shipping",
	}},
	VocabDisposition: {name: "disposition", urn: "urn:epcglobal:cbv:disp:", termStart: "Disp-", values: []string{
		"active", "available", "completeness_inferred", "completeness_verified", "conformant",
		"container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
		"encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
		"mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
		"non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
		"retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
		"unavailable", "unknown",
	}},
	VocabBizTransactionType: {name: "bizTransaction type", urn: "urn:epcglobal:cbv:btt:", termStart: "BTT-", values: []string{
		"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
		"testprd", "testres", "upevt",
	}},
	VocabSourceDestType: {name: "source/destination type", urn: "urn:epcglobal:cbv:sdt:", termStart: "SDT-", values: []string{
		"location", "owning_party", "possessing_party",
	}},
	VocabErrorReason: {name: "error reason", urn: "urn:epcglobal:cbv:er:", termStart: "ER-", values: []string{
		"did_not_occur", "incorrect_data",
	}},
	VocabComponent: {name: "component", urn: "urn:epcglobal:cbv:comp:", termStart: "Comp-", values: []string{
		"x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius", "polar_angle",
		"elevation_angle", "easting", "northing", "latitude", "longitude", "altitude",
	}},
	VocabMeasurementType: {name: "measurement type", values: []string{
		"AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Radioactivity",
		"Altitude", "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle",
		"AngularAcceleration", "AngularMomentum", "AngularVelocity", "Area", "Capacitance",
		"Conductance", "Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
		"DoseEquivalentRate", "DynamicViscosity", "ElectricCharge", "ElectricCurrent",
		"ElectricCurrentDensity", "ElectricFieldStrength", "Energy", "Exposure", "Force",
		"Frequency", "Illuminance", "Inductance", "Irradiance", "KinematicViscosity", "Length",
		"LinearMomentum", "Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux",
		"MagneticFluxDensity", "MagneticVectorPotential", "Mass", "MassConcentration",
		"MassFlowRate", "MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy",
		"MolarMass", "MolarVolume", "Power", "Pressure", "RadiantFlux", "RadiantIntensity",
		"RelativeHumidity", "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed",
		"SurfaceDensity", "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume",
		"VolumeFlowRate", "VolumeFraction", "VolumetricFlux", "Wavenumber",
	}},
	VocabSensorAlertType: {name: "sensor alert type", values: []string{"ALARM_CONDITION", "ERROR_CONDITION"}},
}

func init() {
	for i := range vocabs {
		d := &vocabs[i]
		if d.values == nil {
			continue
		}
		if d.urn != "" { // CBV
			d.web = CBVWebNS + d.termStart
			d.curie = "cbv:" + d.termStart
		} else { // GS1 Web Vocabulary
			d.web = GS1VocWeb
			d.curie = "gs1:"
		}
		d.set = make(map[string]struct{}, len(d.values))
		for _, v := range d.values {
			d.set[v] = struct{}{}
		}
	}
}

func (v Vocab) def() *vocabDef {
	if v == 0 || int(v) >= len(vocabs) {
		return nil
	}
	return &vocabs[v]
}

// String names the vocabulary as EPCIS fields do ("bizStep", "disposition", ...).
func (v Vocab) String() string {
	if d := v.def(); d != nil {
		return d.name
	}
	return "unknown vocabulary"
}

// Values returns the standard values of the vocabulary in their bare form.
func (v Vocab) Values() []string {
	d := v.def()
	if d == nil {
		return nil
	}
	return append([]string(nil), d.values...)
}

// IsStandard reports whether value, in any form, is a standard value of the vocabulary.
func (v Vocab) IsStandard(value string) bool {
	local, ok := v.Parse(value)
	if !ok {
		return false
	}
	_, std := v.def().set[local]
	return std
}

// Parse recognises value in any form of the vocabulary and returns its local name
// ("commissioning"). A URN, web URI or CURIE in the vocabulary's namespace is recognised
// whatever its local name (a non-standard local name is still a CBV-shaped value); a bare
// word only when it is a standard value. ok is false for anything else.
func (v Vocab) Parse(value string) (local string, ok bool) {
	d := v.def()
	if d == nil || value == "" {
		return "", false
	}
	if _, std := d.set[value]; std {
		return value, true
	}
	if d.urn != "" && hasPrefixFold(value, d.urn) {
		return nonEmpty(value[len(d.urn):])
	}
	if strings.HasPrefix(value, d.curie) {
		return nonEmpty(value[len(d.curie):])
	}
	rest, ok := cutScheme(value)
	if !ok {
		return "", false
	}
	if d.urn != "" {
		for _, host := range [...]string{"ref.gs1.org/cbv/", cbvLegacyN} {
			if strings.HasPrefix(rest, host) && strings.HasPrefix(rest[len(host):], d.termStart) {
				return nonEmpty(rest[len(host)+len(d.termStart):])
			}
		}
		return "", false
	}
	for _, host := range [...]string{"gs1.org/voc/", "www.gs1.org/voc/"} {
		if strings.HasPrefix(rest, host) {
			return nonEmpty(rest[len(host):])
		}
	}
	return "", false
}

// Normalize writes value in the given form. Values the vocabulary does not recognise (see
// Parse) are returned unchanged, and so are values that cannot take the form: a non-standard
// local name has no bare form, and the GS1 Web Vocabulary has no URN form.
func (v Vocab) Normalize(value string, f Form) string {
	local, ok := v.Parse(value)
	if !ok {
		return value
	}
	d := v.def()
	switch f {
	case FormBare:
		if _, std := d.set[local]; std {
			return local
		}
	case FormURN:
		if d.urn != "" {
			return d.urn + local
		}
	case FormWebURI:
		return d.web + local
	case FormCURIE:
		return d.curie + local
	}
	return value
}

// Bare is Normalize(value, FormBare): "commissioning".
func (v Vocab) Bare(value string) string { return v.Normalize(value, FormBare) }

// URN is Normalize(value, FormURN): "urn:epcglobal:cbv:bizstep:commissioning".
func (v Vocab) URN(value string) string { return v.Normalize(value, FormURN) }

// WebURI is Normalize(value, FormWebURI): "https://ref.gs1.org/cbv/BizStep-commissioning".
func (v Vocab) WebURI(value string) string { return v.Normalize(value, FormWebURI) }

// CURIE is Normalize(value, FormCURIE): "cbv:BizStep-commissioning", "gs1:Temperature".
func (v Vocab) CURIE(value string) string { return v.Normalize(value, FormCURIE) }

// Equal reports whether a and b are the same value, whatever forms they are written in.
func (v Vocab) Equal(a, b string) bool {
	if a == b {
		return true
	}
	return v.WebURI(a) == v.WebURI(b)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func nonEmpty(s string) (string, bool) { return s, s != "" }

// cutScheme strips "https://" or "http://".
func cutScheme(s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		return rest, true
	}
	return strings.CutPrefix(s, "http://")
}
