package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
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
		price, endpoint, given, err := parsePriceFlags(args[1:], stderr)
		if err != nil {
			return err
		}
		// Components left out keep the value of the price in force, so that
		// changing one rate does not make the others free.
		current, err := models.FindPrice(ctx, db, endpoint, price.Model, price.Size, price.Quality, price.Date)
		switch {
		case err == nil:
			price.Inherit(current, given)
		case !errors.Is(err, models.ErrNoPrice):
			return err
		}
		if err := models.InsertPrice(ctx, db, endpoint, price); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "price %d for %s, model %s, size %s, quality %s, takes effect %s:\n", price.ID, endpoint,
			orAny(price.Model), orAny(price.Size), orAny(price.Quality), price.Date.Format(time.RFC3339))
		fmt.Fprintf(stdout, "  per request %s, per image %s; per million tokens: text in %s, cached in %s, image in %s, cached image in %s, text out %s, image out %s\n",
			price.PerRequest, price.PerImage, price.TextInputPerMTok, price.CachedInputPerMTok, price.ImageInputPerMTok,
			price.CachedImageInputPerMTok, price.TextOutputPerMTok, price.ImageOutputPerMTok)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown prices command %q: use list or set", args[0])}
	}
}

// endpointKeys are the endpoint keys a price can be set for.
var endpointKeys = []string{
	models.EndpointImagesGenerate, models.EndpointImagesVariation, models.EndpointAssistantCreate,
	models.EndpointAssistantSubmitToolRun, models.EndpointAssistantThreadCreate, models.EndpointAssistantRun,
}

var imageSize = regexp.MustCompile(`^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$`)

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

// priceComponents are the flags that set an amount, in the order
// models.Price.Inherit names them.
var priceComponents = []string{"per-request", "per-image", "text-input", "cached-input", "image-input", "cached-image-input", "text-output", "image-output"}

// imageQualities are the quality values a price may be keyed by.
var imageQualities = []string{"", "auto", "low", "medium", "high", "standard", "hd"}

func parsePriceFlags(args []string, stderr io.Writer) (*models.Price, string, map[string]bool, error) {
	fs := flag.NewFlagSet("tally prices set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	p := &models.Price{Note: "tally prices set"}
	endpoint := fs.String("endpoint", "", "endpoint key, such as openai_images_generate (required)")
	fs.StringVar(&p.Model, "model", "", "model the price applies to; empty means any model")
	fs.StringVar(&p.Size, "size", "", "image size the price applies to, such as 1024x1024; empty means any")
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
		return nil, "", nil, fmt.Errorf("prices set: %w", err)
	}
	if *endpoint == "" {
		return nil, "", nil, fmt.Errorf("prices set needs --endpoint, one of %s", strings.Join(endpointKeys, ", "))
	}
	if !slices.Contains(endpointKeys, *endpoint) {
		return nil, "", nil, fmt.Errorf("unknown endpoint %q: use one of %s", *endpoint, strings.Join(endpointKeys, ", "))
	}
	if p.Size != "" && p.Size != "auto" && !imageSize.MatchString(p.Size) {
		return nil, "", nil, fmt.Errorf("--size %q is invalid: use WIDTHxHEIGHT such as 1024x1024, or auto", p.Size)
	}
	if !slices.Contains(imageQualities, p.Quality) {
		return nil, "", nil, fmt.Errorf("--quality %q is invalid: use one of %s", p.Quality, strings.Join(imageQualities[1:], ", "))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(priceComponents, f.Name) {
			given[f.Name] = true
		}
	})
	if len(given) == 0 {
		return nil, "", nil, fmt.Errorf("prices set needs at least one amount, such as --image-output 30.00 (USD per million tokens); the others keep the price in force")
	}
	p.Date = time.Now().UTC()
	if *from != "" {
		t, err := time.Parse(time.RFC3339, *from)
		if err != nil {
			t, err = time.Parse(time.DateOnly, *from)
		}
		if err != nil {
			return nil, "", nil, fmt.Errorf("--from %q is not a date: use 2026-12-05 or 2026-12-05T00:00:00Z", *from)
		}
		p.Date = t
	}
	return p, *endpoint, given, nil
}
