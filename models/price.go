package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Price is a row of cost_table: what one request to an endpoint with a
// model costs from Date on. Token prices are micro-dollars per million
// tokens. An empty Model, Size or Quality matches any value.
type Price struct {
	bun.BaseModel `bun:"table:cost_table"`

	ID                      int64     `bun:"id,pk,autoincrement"`
	EndpointID              int64     `bun:"endpoint,notnull"`
	Model                   string    `bun:"model,notnull"`
	Size                    string    `bun:"size,notnull"`
	Quality                 string    `bun:"quality,notnull"`
	Date                    time.Time `bun:"date,notnull"`
	PerRequest              MicroUSD  `bun:"per_request_micro_usd,notnull"`
	PerImage                MicroUSD  `bun:"per_image_micro_usd,notnull"`
	TextInputPerMTok        MicroUSD  `bun:"text_input_micro_usd_per_mtok,notnull"`
	CachedInputPerMTok      MicroUSD  `bun:"cached_input_micro_usd_per_mtok,notnull"`
	ImageInputPerMTok       MicroUSD  `bun:"image_input_micro_usd_per_mtok,notnull"`
	CachedImageInputPerMTok MicroUSD  `bun:"cached_image_input_micro_usd_per_mtok,notnull"`
	TextOutputPerMTok       MicroUSD  `bun:"text_output_micro_usd_per_mtok,notnull"`
	ImageOutputPerMTok      MicroUSD  `bun:"image_output_micro_usd_per_mtok,notnull"`
	Note                    string    `bun:"note,notnull"`
}

// Tokens counts what one OpenAI request consumed, by the kinds of token
// that are priced differently. Input counts exclude their cached parts.
type Tokens struct {
	TextInput        int64
	CachedInput      int64
	ImageInput       int64
	CachedImageInput int64
	TextOutput       int64
	ImageOutput      int64
}

// Cost returns what a request that consumed tokens and produced units
// images costs at this price: the per-request and per-image parts, plus
// the token parts summed and rounded half up to a whole micro-dollar once.
func (p Price) Cost(tokens Tokens, units int) (MicroUSD, error) {
	byTokens, err := TokenCost(
		[2]int64{tokens.TextInput, int64(p.TextInputPerMTok)},
		[2]int64{tokens.CachedInput, int64(p.CachedInputPerMTok)},
		[2]int64{tokens.ImageInput, int64(p.ImageInputPerMTok)},
		[2]int64{tokens.CachedImageInput, int64(p.CachedImageInputPerMTok)},
		[2]int64{tokens.TextOutput, int64(p.TextOutputPerMTok)},
		[2]int64{tokens.ImageOutput, int64(p.ImageOutputPerMTok)},
	)
	if err != nil {
		return 0, err
	}
	if units < 0 {
		return 0, fmt.Errorf("price cost: negative image count %d", units)
	}
	return p.PerRequest + p.PerImage*MicroUSD(units) + byTokens, nil
}

// ByTokens reports whether any part of the price is per token.
func (p Price) ByTokens() bool {
	return p.TextInputPerMTok+p.CachedInputPerMTok+p.ImageInputPerMTok+p.CachedImageInputPerMTok+p.TextOutputPerMTok+p.ImageOutputPerMTok > 0
}

// Inherit copies from current every component whose flag name is not in
// given: "per-request", "per-image", "text-input", "cached-input",
// "image-input", "cached-image-input", "text-output", "image-output".
func (p *Price) Inherit(current Price, given map[string]bool) {
	fields := []struct {
		name     string
		dst, src *MicroUSD
	}{
		{"per-request", &p.PerRequest, &current.PerRequest},
		{"per-image", &p.PerImage, &current.PerImage},
		{"text-input", &p.TextInputPerMTok, &current.TextInputPerMTok},
		{"cached-input", &p.CachedInputPerMTok, &current.CachedInputPerMTok},
		{"image-input", &p.ImageInputPerMTok, &current.ImageInputPerMTok},
		{"cached-image-input", &p.CachedImageInputPerMTok, &current.CachedImageInputPerMTok},
		{"text-output", &p.TextOutputPerMTok, &current.TextOutputPerMTok},
		{"image-output", &p.ImageOutputPerMTok, &current.ImageOutputPerMTok},
	}
	for _, f := range fields {
		if !given[f.name] {
			*f.dst = *f.src
		}
	}
}

// ErrNoPrice is returned by FindPrice when no price row covers the call.
var ErrNoPrice = errors.New("no price")

// FindPrice returns the price in force at the given time for a request to
// the endpoint with that model, size and quality. A row naming the exact
// model, size or quality wins over a row that leaves it empty, and among
// equally specific rows the latest effective date wins.
func FindPrice(ctx context.Context, db bun.IDB, endpoint, model, size, quality string, at time.Time) (Price, error) {
	var price Price
	err := db.NewSelect().Model(&price).
		Where("endpoint = (SELECT id FROM endpoint_table WHERE endpoint_name = ?)", endpoint).
		Where("model IN (?, '')", model).
		Where("size IN (?, '')", size).
		Where("quality IN (?, '')", quality).
		Where("date <= ?", at.UTC()).
		OrderExpr("CASE WHEN model = '' THEN 1 ELSE 0 END").
		OrderExpr("CASE WHEN size = '' THEN 1 ELSE 0 END").
		OrderExpr("CASE WHEN quality = '' THEN 1 ELSE 0 END").
		OrderExpr("date DESC").
		Limit(1).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Price{}, fmt.Errorf("%w for %s model %q size %q quality %q at %s",
			ErrNoPrice, endpoint, model, size, quality, at.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return Price{}, fmt.Errorf("find price for %s %s: %w", endpoint, model, err)
	}
	return price, nil
}

// FindPriceByID returns the price row with that ID.
func FindPriceByID(ctx context.Context, db bun.IDB, id int64) (Price, error) {
	var price Price
	if err := db.NewSelect().Model(&price).Where("id = ?", id).Scan(ctx); err != nil {
		return Price{}, fmt.Errorf("find price %d: %w", id, err)
	}
	return price, nil
}

// ListPrices returns every price row, by endpoint, model, size, quality and
// effective date, with the endpoint names.
func ListPrices(ctx context.Context, db bun.IDB) ([]PriceWithEndpoint, error) {
	var prices []PriceWithEndpoint
	err := db.NewSelect().Model(&prices).
		ColumnExpr("price.*").
		ColumnExpr("e.endpoint_name AS endpoint_name").
		Join("JOIN endpoint_table AS e ON e.id = price.endpoint").
		OrderExpr("price.endpoint, price.model, price.size, price.quality, price.date").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list prices: %w", err)
	}
	return prices, nil
}

// PriceWithEndpoint is a price row with its endpoint's name.
type PriceWithEndpoint struct {
	bun.BaseModel `bun:"table:cost_table,alias:price"`
	Price
	EndpointName string `bun:"endpoint_name,scanonly"`
}

// InsertPrice adds a price taking effect at p.Date for the named endpoint.
// Earlier rows stay, so calls already made keep the price frozen on them.
func InsertPrice(ctx context.Context, db bun.IDB, endpoint string, p *Price) error {
	var id int64
	if err := db.NewSelect().Model((*Endpoint)(nil)).Column("id").Where("endpoint_name = ?", endpoint).Scan(ctx, &id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("unknown endpoint %q", endpoint)
		}
		return fmt.Errorf("find endpoint %s: %w", endpoint, err)
	}
	p.EndpointID = id
	p.Date = p.Date.UTC()
	if _, err := db.NewInsert().Model(p).Exec(ctx); err != nil {
		return fmt.Errorf("insert price for %s %s: %w", endpoint, p.Model, err)
	}
	return nil
}
