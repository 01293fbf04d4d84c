package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tallybot/tally/models"
)

// runPrices is `tally prices list|set`.
func runPrices(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"prices takes list or set"}
	}
	cfg, _, err := loadConfig(getenv, stderr)
	if err != nil {
		return err
	}
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	switch args[0] {
	case "list":
		prices, err := models.ListPrices(ctx, db)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ENDPOINT\tMODEL\tSIZE\tQUALITY\tFROM\tPER REQUEST\tPER IMAGE\tTEXT IN/M\tCACHED IN/M\tIMAGE IN/M\tCACHED IMAGE IN/M\tTEXT OUT/M\tIMAGE OUT/M")
		for _, p := range prices {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				p.EndpointName, orAny(p.Model), orAny(p.Size), orAny(p.Quality), p.Date.UTC().Format(time.RFC3339),
				p.PerRequest, p.PerImage, p.TextInputPerMTok, p.CachedInputPerMTok, p.ImageInputPerMTok,
				p.CachedImageInputPerMTok, p.TextOutputPerMTok, p.ImageOutputPerMTok)
		}
		return w.Flush()
	case "set":
		price, endpoint, err := parsePriceFlags(args[1:], stderr)
		if err != nil {
			return err
		}
		if err := models.InsertPrice(ctx, db, endpoint, price); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "price %d for %s model %s takes effect %s\n", price.ID, endpoint, orAny(price.Model), price.Date.Format(time.RFC3339))
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown prices command %q: use list or set", args[0])}
	}
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// dollarFlag reads a dollar amount into a MicroUSD without a float.
type dollarFlag struct{ amount *models.MicroUSD }

func (f dollarFlag) String() string {
	if f.amount == nil {
		return ""
	}
	return f.amount.String()
}

func (f dollarFlag) Set(s string) error {
	amount, err := models.ParseUSD(s)
	if err != nil {
		return err
	}
	*f.amount = amount
	return nil
}

func parsePriceFlags(args []string, stderr io.Writer) (*models.Price, string, error) {
	fs := flag.NewFlagSet("tally prices set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// A new row replaces the whole price for what it matches, so every
	// component left out is zero from its date on.
	p := &models.Price{Note: "tally prices set"}
	endpoint := fs.String("endpoint", "", "endpoint key, such as openai_images_generate (required)")
	fs.StringVar(&p.Model, "model", "", "model the price applies to; empty means any model")
	fs.StringVar(&p.Size, "size", "", "image size the price applies to; empty means any (the row must then give every component of the price)")
	fs.StringVar(&p.Quality, "quality", "", "image quality the price applies to; empty means any")
	from := fs.String("from", "", "when the price takes effect, RFC 3339 or YYYY-MM-DD (UTC); default now")
	fs.Var(dollarFlag{&p.PerRequest}, "per-request", "USD per request")
	fs.Var(dollarFlag{&p.PerImage}, "per-image", "USD per image")
	fs.Var(dollarFlag{&p.TextInputPerMTok}, "text-input", "USD per million text input tokens")
	fs.Var(dollarFlag{&p.CachedInputPerMTok}, "cached-input", "USD per million cached text input tokens")
	fs.Var(dollarFlag{&p.ImageInputPerMTok}, "image-input", "USD per million image input tokens")
	fs.Var(dollarFlag{&p.CachedImageInputPerMTok}, "cached-image-input", "USD per million cached image input tokens")
	fs.Var(dollarFlag{&p.TextOutputPerMTok}, "text-output", "USD per million text output tokens")
	fs.Var(dollarFlag{&p.ImageOutputPerMTok}, "image-output", "USD per million image output tokens")
	if err := fs.Parse(args); err != nil {
		// The flag package has already printed the error and the flags.
		return nil, "", fmt.Errorf("prices set: %w", err)
	}
	if *endpoint == "" {
		return nil, "", &usageError{"prices set needs --endpoint"}
	}
	p.Date = time.Now().UTC()
	if *from != "" {
		t, err := time.Parse(time.RFC3339, *from)
		if err != nil {
			t, err = time.Parse(time.DateOnly, *from)
		}
		if err != nil {
			return nil, "", &usageError{fmt.Sprintf("--from %q is not a date: use 2026-12-05 or 2026-12-05T00:00:00Z", *from)}
		}
		p.Date = t
	}
	return p, *endpoint, nil
}
