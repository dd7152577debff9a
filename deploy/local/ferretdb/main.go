// Command ferretdb runs an embedded FerretDB as the project's MongoDB-wire store,
// on PostgreSQL (FerretDB's production backend) or SQLite (kept to reproduce the
// deadlock in docs/operations.md). It exists because `go install .../cmd/ferretdb`
// builds a binary that panics on a missing generated version file; the embeddable
// package has no such file to miss. Flag names follow upstream's where they overlap.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "postgresql", "backend: postgresql or sqlite")
	pgURL := flag.String("postgresql-url", "postgres://127.0.0.1:5432/ferretdb",
		"PostgreSQL URL for the postgresql handler (the database must exist)")
	dataDir := flag.String("data", "var/store-ferretdb", "directory for the sqlite handler's databases")
	flag.Parse()

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:  *handler,
	}
	switch *handler {
	case "postgresql":
		config.PostgreSQLURL = *pgURL
	case "sqlite":
		if err := os.MkdirAll(*dataDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "cannot create data directory:", err)
			os.Exit(1)
		}
		config.SQLiteURL = "file:" + *dataDir + "/"
	default:
		fmt.Fprintln(os.Stderr, "-handler must be postgresql or sqlite, not", *handler)
		os.Exit(2)
	}

	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start FerretDB:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintln(os.Stderr, "ferretdb listening on", f.MongoDBURI(), "with handler", *handler)
	if err := f.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "FerretDB stopped:", err)
		os.Exit(1)
	}
}
