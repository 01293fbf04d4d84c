package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

func TestSeedEndpointsAndPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		var names []string
		if err := db.NewSelect().Model((*models.Endpoint)(nil)).Column("endpoint_name").Order("id").Scan(ctx, &names); err != nil {
			t.Fatalf("select endpoints: %v", err)
		}
		want := []string{
			models.EndpointImagesGenerate, models.EndpointImagesVariation, models.EndpointAssistantCreate,
			models.EndpointAssistantSubmitToolRun, models.EndpointAssistantThreadCreate, models.EndpointAssistantRun,
		}
		if fmt.Sprint(names) != fmt.Sprint(want) {
			t.Errorf("endpoints = %v, want %v", names, want)
		}

		price, err := models.FindPrice(ctx, db, models.EndpointImagesGenerate, "gpt-image-2", "1024x1024", "high", time.Now())
		if err != nil {
			t.Fatalf("FindPrice: %v", err)
		}
		if price.TextInputPerMTok != 5_000_000 || price.ImageOutputPerMTok != 30_000_000 ||
			price.CachedInputPerMTok != 1_250_000 || price.ImageInputPerMTok != 8_000_000 || price.CachedImageInputPerMTok != 2_000_000 {
			t.Errorf("gpt-image-2 price = %+v", price)
		}
	})
}

func TestFindPriceHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		insert := func(size string, date time.Time, perImage models.MicroUSD) {
			t.Helper()
			p := &models.Price{EndpointID: 1, Model: "test-model", Size: size, Date: date, PerImage: perImage}
			if _, err := db.NewInsert().Model(p).Exec(ctx); err != nil {
				t.Fatalf("insert price: %v", err)
			}
		}
		insert("", monday, 10)
		insert("1536x1024", monday, 20)
		insert("", monday.Add(48*time.Hour), 30)

		tests := []struct {
			name string
			size string
			at   time.Time
			want models.MicroUSD
		}{
			{"any size before the change", "1024x1024", monday.Add(time.Hour), 10},
			{"exact size wins", "1536x1024", monday.Add(time.Hour), 20},
			{"change takes effect at its date", "1024x1024", monday.Add(48 * time.Hour), 30},
			{"exact size still wins after a general change", "1536x1024", monday.Add(72 * time.Hour), 20},
		}
		for _, tt := range tests {
			price, err := models.FindPrice(ctx, db, models.EndpointImagesGenerate, "test-model", tt.size, "", tt.at)
			if err != nil {
				t.Fatalf("%s: FindPrice: %v", tt.name, err)
			}
			if price.PerImage != tt.want {
				t.Errorf("%s: per image = %d, want %d", tt.name, price.PerImage, tt.want)
			}
		}

		_, err := models.FindPrice(ctx, db, models.EndpointImagesGenerate, "test-model", "", "", monday.Add(-time.Hour))
		if !errors.Is(err, models.ErrNoPrice) {
			t.Errorf("price before the first date: error = %v, want ErrNoPrice", err)
		}
	})
}

// TestAddUsageSumsCalls records two calls on one day, in a server and in
// DMs, and expects one roll-up row holding both.
func TestAddUsageSumsCalls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		user, err := models.UpsertUser(ctx, db, "333", "alice", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, guild := range []string{"555", models.DMGuildID} {
			for _, cost := range []models.MicroUSD{40_000, 80_000} {
				if err := models.AddUsage(ctx, db, guild, models.EndpointImagesGenerate, user.ID, "2026-12-04", 1, cost); err != nil {
					t.Fatalf("AddUsage: %v", err)
				}
			}
		}
		for _, guild := range []string{"555", models.DMGuildID} {
			var rows []models.EndpointUserUsage
			if err := db.NewSelect().Model(&rows).Where("guild_id = ?", guild).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("guild %s: %d member rows, want 1", guild, len(rows))
			}
			if rows[0].Usage != 2 || rows[0].Cost != 120_000 {
				t.Errorf("guild %s member row: usage %d cost %s, want 2 and $0.12", guild, rows[0].Usage, rows[0].Cost)
			}
			var server []models.EndpointUsage
			if err := db.NewSelect().Model(&server).Where("guild_id = ?", guild).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(server) != 1 || server[0].Usage != 2 || server[0].Cost != 120_000 {
				t.Errorf("guild %s server rows = %+v, want one with 2 requests and $0.12", guild, server)
			}
		}
	})
}

// TestAddUsageConcurrentNewDay records 20 calls at once for a user and day
// that have no row yet: the upsert must neither lose one nor fail on the
// unique key.
func TestAddUsageConcurrentNewDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		user, err := models.UpsertUser(ctx, db, "333", "alice", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					return models.AddUsage(ctx, tx, "555", models.EndpointImagesGenerate, user.ID, "2026-12-05", 1, 40_000)
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("AddUsage: %v", err)
			}
		}
		var row models.EndpointUserUsage
		if err := db.NewSelect().Model(&row).Where("date = ?", "2026-12-05").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if row.Usage != 20 || row.Cost != 800_000 {
			t.Errorf("row = %d requests, %s; want 20 and $0.80", row.Usage, row.Cost)
		}
	})
}

func TestUpsertUserKeepsIDAndUpdatesName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		first, err := models.UpsertUser(ctx, db, "333", "alice", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		second, err := models.UpsertUser(ctx, db, "333", "alice2", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID {
			t.Errorf("ID changed from %d to %d", first.ID, second.ID)
		}
		if second.Username != "alice2" {
			t.Errorf("username = %q, want alice2", second.Username)
		}
	})
}
