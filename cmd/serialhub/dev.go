package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/serialhub/serialhub/deploy/local/localenv"
)

// runDev starts the local stack (deploy/local/stack.sh up), migrates, bootstraps the admin key
// and runs the API and the worker in the foreground until Ctrl-C.
func runDev(ctx context.Context, log *slog.Logger, stdout, stderr io.Writer) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root := findRepo(wd)
	if root == "" {
		return errors.New("dev: run inside the serialhub repository (deploy/local/stack.sh not found)")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "deploy", "local", "stack.sh"), "up")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dev: start the local stack: %w", err)
	}
	// The stack has (re)written its env file: read the configuration again.
	cfg, err := loadConfig(localenv.Getenv())
	if err != nil {
		return err
	}
	if err := runMigrate(ctx, cfg, stdout); err != nil {
		return err
	}
	if err := runBootstrap(ctx, cfg, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serialhub dev: API %s, Temporal UI %s — Ctrl-C stops the hub (the stack keeps running; `make down` stops it)\n",
		cfg.URL, cfg.TemporalUI)
	return runHub(ctx, cfg, log, true, true)
}

// findRepo walks up from dir to the folder holding deploy/local/stack.sh, or "".
func findRepo(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "deploy", "local", "stack.sh")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
