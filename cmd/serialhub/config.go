package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Config is every setting of the binary, read once from the environment (and the local
// stack's env file) with the defaults below. Nothing else reads the environment.
type Config struct {
	HTTPAddr          string // where `serve` listens
	URL               string // where CLI commands find the API
	Token             string // API token of CLI commands (secret)
	PGDSN             string // system of record (password is secret)
	CHAddr            string // ClickHouse native protocol host:port
	CHDatabase        string
	CHUser            string
	CHPassword        string // secret
	TemporalAddr      string
	TemporalNamespace string
	TemporalUI        string
	TaskQueue         string // ingest task queue
	MaxDocumentBytes  int64
	LogLevel          string // debug, info, warn, error
	DataDir           string // the local stack's data folder (token file, logs)
	SigningCert       string // PEM certificate signing files to partners (default: DATA/gateway-signing.crt)
	SigningKey        string // its PEM key
	PartnerCA         string // extra CA bundle trusted for partner endpoints
	IntakeRules       string // all, or lifecycle (no master-data and serial-pool rules)
	GLN               string // the hub's own GLN (answers of product verification, requests to partners)
	// SubmissionRetry and SubmissionPoll are the first retry delay of a submission step and
	// the first wait for an acknowledgement (both doubling); the local stack shortens them.
	SubmissionRetry, SubmissionPoll time.Duration
	// The local stack's DSCSA partner simulator, which the demo delivers to: its base URL,
	// its bearer token as a credentials reference, and its AS2 certificate (PEM file).
	PartnerSimURL, PartnerSimToken, PartnerSimAS2Cert string
}

type setting struct {
	env, def, help string
	secret         bool
	dst            *string
}

func (c *Config) settings() []setting {
	return []setting{
		{"SERIALHUB_HTTP_ADDR", "127.0.0.1:18080", "address the REST API listens on", false, &c.HTTPAddr},
		{"SERIALHUB_URL", "", "API base URL for CLI commands (default: http:// + SERIALHUB_HTTP_ADDR)", false, &c.URL},
		{"SERIALHUB_TOKEN", "", "API token for CLI commands (default: DATA/admin.token)", true, &c.Token},
		{"SERIALHUB_PG_DSN", "postgres://serialhub@127.0.0.1:15432/serialhub?sslmode=disable", "PostgreSQL DSN", false, &c.PGDSN},
		{"SERIALHUB_CH_ADDR", "127.0.0.1:19000", "ClickHouse native address", false, &c.CHAddr},
		{"SERIALHUB_CH_DATABASE", "serialhub", "ClickHouse database", false, &c.CHDatabase},
		{"SERIALHUB_CH_USER", "default", "ClickHouse user", false, &c.CHUser},
		{"SERIALHUB_CH_PASSWORD", "", "ClickHouse password", true, &c.CHPassword},
		{"SERIALHUB_TEMPORAL_ADDR", "127.0.0.1:17233", "Temporal frontend host:port", false, &c.TemporalAddr},
		{"SERIALHUB_TEMPORAL_NAMESPACE", "default", "Temporal namespace", false, &c.TemporalNamespace},
		{"SERIALHUB_TEMPORAL_UI", "http://127.0.0.1:18233", "Temporal UI (printed by demo)", false, &c.TemporalUI},
		{"SERIALHUB_TASK_QUEUE", "serialhub-ingest", "Temporal task queue of the ingest workflow", false, &c.TaskQueue},
		{"SERIALHUB_LOG_LEVEL", "info", "log level: debug, info, warn, error", false, &c.LogLevel},
		{"SERIALHUB_DATA", "", "local stack data folder (default: found from the working directory)", false, &c.DataDir},
		{"SERIALHUB_SIGNING_CERT", "", "PEM certificate that signs files to partners (default: DATA/gateway-signing.crt, made once)", false, &c.SigningCert},
		{"SERIALHUB_SIGNING_KEY", "", "PEM key of SERIALHUB_SIGNING_CERT", false, &c.SigningKey},
		{"SERIALHUB_PARTNER_CA", "", "extra PEM CA bundle trusted for partner endpoints", false, &c.PartnerCA},
		{"SERIALHUB_INTAKE_RULES", "all", "intake rules: all, or lifecycle (no master-data and serial-pool checks)", false, &c.IntakeRules},
		{"SERIALHUB_GLN", "", "the hub owner's GLN (responderGLN/reqGLN of product verification)", false, &c.GLN},
		{"SERIALHUB_PARTNERSIM_URL", "", "DSCSA partner simulator the demo delivers to (written by stack.sh)", false, &c.PartnerSimURL},
		{"SERIALHUB_PARTNERSIM_TOKEN", "", "its bearer token as a credentials reference (file:PATH or env:NAME)", false, &c.PartnerSimToken},
		{"SERIALHUB_PARTNERSIM_AS2_CERT", "", "its AS2 certificate (PEM file)", false, &c.PartnerSimAS2Cert},
	}
}

// durationSetting is a setting that is a Go duration.
type durationSetting struct {
	env, def, help string
	dst            *time.Duration
}

// durations are the settings that are Go durations (printed by config like the others).
func (c *Config) durations() []durationSetting {
	return []durationSetting{
		{"SERIALHUB_SUBMISSION_RETRY", "10s", "first retry delay of a submission step (doubling to 1 h)", &c.SubmissionRetry},
		{"SERIALHUB_SUBMISSION_POLL", "5s", "first wait for a partner's acknowledgement (doubling to 10 min)", &c.SubmissionPoll},
	}
}

// loadConfig resolves every setting from getenv and the defaults.
func loadConfig(getenv func(string) string) (Config, error) {
	var c Config
	for _, s := range c.settings() {
		*s.dst = s.def
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
	// The stack scripts may move the hub to another free port and record it in the env file.
	if getenv("SERIALHUB_HTTP_ADDR") == "" && getenv("SERIALHUB_HTTP_PORT") != "" {
		c.HTTPAddr = "127.0.0.1:" + getenv("SERIALHUB_HTTP_PORT")
	}
	for _, d := range c.durations() {
		v := d.def
		if e := getenv(d.env); e != "" {
			v = e
		}
		n, err := time.ParseDuration(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("%s=%q: want a positive duration such as 10s", d.env, v)
		}
		*d.dst = n
	}
	c.MaxDocumentBytes = 256 << 20
	if v := getenv("SERIALHUB_MAX_DOCUMENT_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("SERIALHUB_MAX_DOCUMENT_BYTES=%q: want a positive number of bytes", v)
		}
		c.MaxDocumentBytes = n
	}
	if c.IntakeRules != "all" && c.IntakeRules != "lifecycle" {
		return c, fmt.Errorf("SERIALHUB_INTAKE_RULES=%q: want all or lifecycle", c.IntakeRules)
	}
	if c.URL == "" {
		c.URL = "http://" + c.HTTPAddr
	}
	if c.DataDir == "" {
		if wd, err := os.Getwd(); err == nil {
			c.DataDir = findDataDir(wd)
		}
	}
	if c.Token == "" && c.DataDir != "" {
		if b, err := os.ReadFile(filepath.Join(c.DataDir, "admin.token")); err == nil {
			c.Token = strings.TrimSpace(string(b))
		}
	}
	return c, nil
}

// findDataDir returns the repository's deploy/local/data above dir, or "".
func findDataDir(dir string) string {
	root := findRepo(dir)
	if root == "" {
		return ""
	}
	d := filepath.Join(root, "deploy", "local", "data")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return ""
	}
	return d
}

// print writes the resolved configuration with secrets masked.
func (c Config) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range c.settings() {
		v := *s.dst
		switch {
		case s.secret && v != "":
			v = "****"
		case strings.Contains(s.env, "DSN"):
			v = maskDSN(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t# %s\n", s.env, v, s.help)
	}
	for _, d := range c.durations() {
		fmt.Fprintf(tw, "%s\t%s\t# %s\n", d.env, *d.dst, d.help)
	}
	fmt.Fprintf(tw, "SERIALHUB_MAX_DOCUMENT_BYTES\t%d\t# largest accepted upload\n", c.MaxDocumentBytes)
	tw.Flush()
}

// maskDSN hides the password of a URL-form DSN.
func maskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", "****", 1)
}
