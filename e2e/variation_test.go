package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

const (
	editsPath      = "/v1/images/edits"
	variationsPath = "/v1/images/variations"
	// guildChannel and dmChannel are where the test interactions come from.
	guildChannel = "222"
	dmChannel    = "777"
)

// attachmentHosts lets the bot download from the fake Discord, which
// serves attachments on 127.0.0.1.
const attachmentHosts = "TALLY_ATTACHMENT_HOSTS=127.0.0.1"

// picture is an opaque width × height gradient.
func picture(width, height int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 255 / width), G: uint8(y * 255 / height), B: 128, A: 255})
		}
	}
	return img
}

func encodeImage(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	default:
		t.Fatalf("no encoder for %s", format)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// appendUint32 appends v in big-endian order, as PNG stores integers.
func appendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// pngChunk returns one PNG chunk: length, type, data and CRC.
func pngChunk(kind string, data []byte) []byte {
	out := appendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	return appendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}

// paddedPNG is a valid PNG of the picture, made n bytes larger by a private
// ancillary chunk, as metadata makes a file large.
func paddedPNG(t *testing.T, width, height, n int) []byte {
	t.Helper()
	data := encodeImage(t, "png", picture(width, height))
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	out := append([]byte{}, data[:afterIHDR]...)
	out = append(out, pngChunk("prVt", make([]byte, n))...)
	return append(out, data[afterIHDR:]...)
}

// pngHeaderOnly declares width × height pixels and holds no pixel data.
func pngHeaderOnly(width, height uint32) []byte {
	ihdr := appendUint32(nil, width)
	ihdr = appendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

func variationIn(guild bool, a fakediscord.Attachment, opts ...fakediscord.Option) fakediscord.Interaction {
	all := append([]fakediscord.Option{fakediscord.AttachmentOption("image", a)}, opts...)
	if guild {
		return fakediscord.GuildCommand("555", guildChannel, member, memberPerms, "variation", all...)
	}
	return fakediscord.DMCommand(dmChannel, member, "variation", all...)
}

func channelOf(guild bool) string {
	if guild {
		return guildChannel
	}
	return dmChannel
}

// variationCost prices an edit at the seeded gpt-image-2 rates: $5 per
// million text input tokens, $8 per million image input tokens and $30 per
// million image output tokens, rounded half up to a whole micro-dollar.
func variationCost(textIn, imageIn, imageOut int64) models.MicroUSD {
	total := textIn*5_000_000 + imageIn*8_000_000 + imageOut*30_000_000
	return models.MicroUSD((total + 500_000) / 1_000_000)
}

// attachmentFetches returns the bot's downloads from the fake's
// attachment host.
func attachmentFetches(e *env) []fakediscord.Request {
	return discordRoutes(e.discord, fakediscord.RouteEphemeralAttachmentGet)
}

// editContent returns the content of an edit of the original response.
func editContent(t *testing.T, edit fakediscord.Request) string {
	t.Helper()
	var payload struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(edit.JSON, &payload); err != nil {
		t.Fatalf("decode edit payload: %v", err)
	}
	return payload.Content
}

// ledgerRows returns every ledger row, oldest first.
func ledgerRows(t *testing.T, e *env) []models.LedgerEntry {
	t.Helper()
	var rows []models.LedgerEntry
	if err := e.db.NewSelect().Model(&rows).Order("id").Scan(context.Background()); err != nil {
		t.Fatalf("read ledger: %v", err)
	}
	return rows
}

// checkEditUpload checks the multipart form of one image edit: one image
// part sent as a PNG of the given size, and no empty or zero-valued field.
func checkEditUpload(t *testing.T, req fakeopenai.Request, width, height, count int) {
	t.Helper()
	if req.Status != 200 {
		t.Errorf("the fake OpenAI responded %d", req.Status)
	}

	if len(req.Files) != 1 {
		t.Fatalf("edit carries %d files, want the image alone", len(req.Files))
	}
	f := req.Files[0]
	if f.Field != "image" || !strings.HasSuffix(f.Filename, ".png") || f.ContentType != "image/png" {
		t.Errorf("image part = field %q, file %q, type %q; want image, *.png, image/png", f.Field, f.Filename, f.ContentType)
	}
	config, err := png.DecodeConfig(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("image part is not a PNG: %v", err)
	}
	if config.Width != width || config.Height != height {
		t.Errorf("image part is %d×%d, want %d×%d", config.Width, config.Height, width, height)
	}

	for name, values := range req.Fields {
		for _, v := range values {
			if strings.TrimSpace(v) == "" || v == "0" {
				t.Errorf("field %s = %q, want no empty or zero-valued fields", name, v)
			}
		}
	}
	for _, name := range []string{"response_format", "size", "quality"} {
		if _, ok := req.Fields[name]; ok {
			t.Errorf("field %s was sent; the bot leaves it to the model's default", name)
		}
	}

	if got := req.Fields["model"]; len(got) != 1 || got[0] != "gpt-image-2" {
		t.Errorf("model = %v, want gpt-image-2", got)
	}
	if got := req.Fields["n"]; len(got) != 1 || got[0] != string(rune('0'+count)) {
		t.Errorf("n = %v, want %d", got, count)
	}
	if got := req.Fields["user"]; len(got) != 1 || strings.Contains(got[0], member.ID) {
		t.Errorf("user = %v, want one hashed safety identifier", got)
	}
}

// TestVariationInServerAndDM sends a GIF with a steering prompt from a
// server and a PNG from a DM. The bot must find each file in
// data.resolved, download its signed URL unchanged, send OpenAI a PNG edit
// without empty fields, and respond with one edit carrying the images.
func TestVariationInServerAndDM(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts}})
			gifFile := e.discord.HostAttachment(guildChannel, "cat.gif", "image/gif", encodeImage(t, "gif", picture(600, 400)))
			pngFile := e.discord.HostAttachment(dmChannel, "dog.png", "image/png", encodeImage(t, "png", picture(300, 200)))

			guildIn := e.send(variationIn(true, gifFile, fakediscord.StringOption("prompt", "make it night"), fakediscord.IntegerOption("count", 2)))
			guildEdits := e.waitEdits(guildIn, 1, 30*time.Second)
			dmIn := e.send(variationIn(false, pngFile))
			dmEdits := e.waitEdits(dmIn, 1, 30*time.Second)

			checkDeferredThenOneImageEdit(t, e, guildIn, guildEdits, 2)
			checkDeferredThenOneImageEdit(t, e, dmIn, dmEdits, 1)
			if content := editContent(t, guildEdits[0]); !strings.Contains(content, "converted the image from GIF to PNG") || !strings.Contains(content, "make it night") {
				t.Errorf("server response %q does not name the prompt and the conversion", content)
			}

			// Each URL was downloaded exactly as Discord gave it.
			fetches := attachmentFetches(e)
			if len(fetches) != 2 {
				t.Fatalf("%d attachment downloads, want 2", len(fetches))
			}
			for i, a := range []fakediscord.Attachment{gifFile, pngFile} {
				got := e.discord.URL() + fetches[i].Path + "?" + fetches[i].Query
				if got != a.URL || fetches[i].Status != 200 {
					t.Errorf("download %d = %s (status %d), want %s", i, got, fetches[i].Status, a.URL)
				}
			}

			edits := e.openaiCalls(editsPath)
			if len(edits) != 2 {
				t.Fatalf("%d image edits reached OpenAI, want 2", len(edits))
			}
			checkEditUpload(t, edits[0], 600, 400, 2)
			checkEditUpload(t, edits[1], 300, 200, 1)
			if prompt := edits[0].Fields["prompt"]; len(prompt) != 1 || !strings.Contains(prompt[0], "variation") || !strings.HasSuffix(prompt[0], "make it night") {
				t.Errorf("server prompt = %q, want a variation request steered by the member", prompt)
			}

			rows := ledgerRows(t, e)
			if len(rows) != 2 {
				t.Fatalf("ledger has %d rows, want 2", len(rows))
			}
			for i, tc := range []struct {
				in            fakediscord.Interaction
				guildID       string
				width, height int
				count         int
			}{
				{guildIn, "555", 600, 400, 2},
				{dmIn, models.DMGuildID, 300, 200, 1},
			} {
				row := rows[i]
				want := variationCost(int64(fakeopenai.PromptTokens(edits[i].Fields["prompt"][0])),
					int64(fakeopenai.ImageInputTokens(tc.width, tc.height)),
					int64(tc.count*fakeopenai.ImageOutputTokens("", "")))
				if row.InteractionID != tc.in.ID || row.GuildID != tc.guildID || row.Endpoint != models.EndpointImagesVariation || row.Model != "gpt-image-2" {
					t.Errorf("row %d = %s in %s, %s %s; want %s in %s, %s gpt-image-2",
						i, row.InteractionID, row.GuildID, row.Endpoint, row.Model, tc.in.ID, tc.guildID, models.EndpointImagesVariation)
				}
				if row.Status != models.StatusSettled || row.Cost != want || row.Units != tc.count || row.PriceID == nil {
					t.Errorf("row %d = %s at %d µ$ for %d images (price %v), want settled at %d µ$ for %d",
						i, row.Status, row.Cost, row.Units, row.PriceID, want, tc.count)
				}
			}

			if unexpected := e.discord.Unexpected(); len(unexpected) > 0 {
				t.Errorf("bot made requests the fake Discord refused: %+v", unexpected)
			}
		})
	}
}

// checkEphemeralRefusal checks that the interaction got one response, an
// ephemeral message containing want, and nothing else.
func checkEphemeralRefusal(t *testing.T, e *env, in fakediscord.Interaction, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	state, err := e.discord.WaitResponse(ctx, in.ID)
	if err != nil {
		t.Fatalf("no response to %s: %v\n%s", in.ID, err, e.logs.String())
	}
	time.Sleep(200 * time.Millisecond) // room for a wrong second call to show up
	calls := e.requestsFor(in)
	if len(calls) != 1 {
		t.Errorf("interaction %s: Discord calls %v, want the one response", in.ID, routes(calls))
	}
	var data struct {
		Content string `json:"content"`
		Flags   int    `json:"flags"`
	}
	if err := json.Unmarshal(state.Response.Data, &data); err != nil {
		t.Fatalf("decode response data: %v", err)
	}
	if state.Response.Type != 4 || data.Flags&64 == 0 {
		t.Errorf("response type %d, flags %d; want an ephemeral message (type 4, flag 64)", state.Response.Type, data.Flags)
	}
	if !strings.Contains(data.Content, want) || !strings.Contains(data.Content, "Nothing was charged") {
		t.Errorf("member saw %q, want it to contain %q and say nothing was charged", data.Content, want)
	}
}

// checkEditedRefusal checks that the interaction was deferred and then
// edited once with a message containing want.
func checkEditedRefusal(t *testing.T, e *env, in fakediscord.Interaction, want string) {
	t.Helper()
	edits := e.waitEdits(in, 1, 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	calls := e.requestsFor(in)
	if len(calls) != 2 || calls[0].Route != fakediscord.RouteInteractionCallback || calls[1].Route != fakediscord.RouteOriginalEdit {
		t.Errorf("interaction %s: Discord calls %v, want one callback then one edit", in.ID, routes(calls))
	}
	content := editContent(t, edits[0])
	if !strings.Contains(content, want) || !strings.Contains(content, "Nothing was charged") {
		t.Errorf("member saw %q, want it to contain %q and say nothing was charged", content, want)
	}
	if len(edits[0].Files) != 0 {
		t.Errorf("refusal carries %d files", len(edits[0].Files))
	}
}

// TestVariationAttachmentMissingFromResolved sends the option's ID without
// the attachment in data.resolved, from a server and from a DM.
func TestVariationAttachmentMissingFromResolved(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts}})
			for _, guild := range []bool{true, false} {
				a := e.discord.HostAttachment(channelOf(guild), "cat.png", "image/png", encodeImage(t, "png", picture(64, 64)))
				in := variationIn(guild, a)
				delete(in.Data.Resolved.Attachments, a.ID)
				e.send(in)

				checkEphemeralRefusal(t, e, in, "did not send the attached image")
			}

			if n := len(attachmentFetches(e)); n != 0 {
				t.Errorf("%d attachment downloads, want none", n)
			}
			if n := len(e.openaiCalls(editsPath)); n != 0 {
				t.Errorf("%d image edits reached OpenAI, want none", n)
			}
			if rows := ledgerRows(t, e); len(rows) != 0 {
				t.Errorf("ledger has %d rows, want none", len(rows))
			}
			if strings.Contains(e.logs.String(), "panic") {
				t.Errorf("the bot panicked:\n%s", e.logs.String())
			}
		})
	}
}

// TestVariationRejectsUnusableFiles sends files the bot must refuse, with
// a reason, before any OpenAI call: declared facts are refused at once,
// the rest after the download, and none of them is charged.
func TestVariationRejectsUnusableFiles(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts}})
			small := encodeImage(t, "png", picture(64, 64))

			// Checked from what Discord declares, before any download.
			huge := e.discord.HostAttachment(dmChannel, "huge.png", "image/png", pngHeaderOnly(20_000, 20_000))
			hugeIn := e.send(variationIn(false, huge))
			checkEphemeralRefusal(t, e, hugeIn, "20000×20000 pixels")

			large := e.discord.HostAttachment(guildChannel, "large.png", "image/png", small)
			large.Size = 150_000_000
			largeIn := e.send(variationIn(true, large))
			checkEphemeralRefusal(t, e, largeIn, "150 MB")

			elsewhere := e.discord.HostAttachment(guildChannel, "elsewhere.png", "image/png", small)
			elsewhere.URL = "http://127.0.0.2:9/attachments/222/1/elsewhere.png?ex=1&is=2&hm=3&"
			elsewhereIn := e.send(variationIn(true, elsewhere))
			checkEphemeralRefusal(t, e, elsewhereIn, "points elsewhere")
			fetchesBefore := len(attachmentFetches(e))
			if fetchesBefore != 0 {
				t.Errorf("%d downloads for files refused from their declared facts, want none", fetchesBefore)
			}

			// Checked after the download.
			text := e.discord.HostAttachment(guildChannel, "notes.txt", "text/plain", []byte("shopping list: eggs, milk"))
			textIn := e.send(variationIn(true, text))
			checkEditedRefusal(t, e, textIn, "not an image")

			undeclared := e.discord.HostAttachment(dmChannel, "huge2.png", "image/png", pngHeaderOnly(20_000, 20_000))
			undeclared.Width, undeclared.Height = 0, 0
			undeclaredIn := e.send(variationIn(false, undeclared))
			checkEditedRefusal(t, e, undeclaredIn, "20000×20000 pixels")

			expired := e.discord.HostAttachment(guildChannel, "old.png", "image/png", small)
			expired.URL = strings.Replace(expired.URL, "&hm=", "&hm=00", 1)
			expiredIn := e.send(variationIn(true, expired))
			checkEditedRefusal(t, e, expiredIn, "no longer serves")

			if n := len(attachmentFetches(e)); n != 3 {
				t.Errorf("%d attachment downloads, want 3", n)
			}
			if n := len(e.openaiCalls(editsPath)); n != 0 {
				t.Errorf("%d image edits reached OpenAI, want none", n)
			}
			rows := ledgerRows(t, e)
			if len(rows) != 3 {
				t.Fatalf("ledger has %d rows, want one for each file refused after admission", len(rows))
			}
			for _, row := range rows {
				if row.Status != models.StatusFailed || row.Cost != 0 || row.Failure != "attachment_rejected" {
					t.Errorf("ledger row %s = %s at %d µ$, failure %q; want failed at zero, attachment_rejected", row.InteractionID, row.Status, row.Cost, row.Failure)
				}
			}
			var rollups []models.EndpointUserUsage
			if err := e.db.NewSelect().Model(&rollups).Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rollups) != 0 {
				t.Errorf("roll-ups = %+v, want none", rollups)
			}
		})
	}
}

// TestVariationConvertsForGPTImage sends a GIF, a BMP and a 60 MB PNG: each
// must reach OpenAI as a PNG it accepts, and be charged.
func TestVariationConvertsForGPTImage(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts}})
			cases := []struct {
				name, contentType string
				data              []byte
				guild             bool
				wantNote          string
			}{
				{"anim.gif", "image/gif", encodeImage(t, "gif", picture(120, 80)), true, "converted the image from GIF to PNG"},
				{"scan.bmp", "image/bmp", encodeImage(t, "bmp", picture(120, 80)), false, "converted the image from BMP to PNG"},
				{"big.png", "image/png", paddedPNG(t, 120, 80, 60_000_000), true, "recompressed the image from 60 MB"},
			}
			for _, c := range cases {
				a := e.discord.HostAttachment(channelOf(c.guild), c.name, c.contentType, c.data)
				in := e.send(variationIn(c.guild, a))
				edits := e.waitEdits(in, 1, 60*time.Second)

				checkDeferredThenOneImageEdit(t, e, in, edits, 1)
				if content := editContent(t, edits[0]); !strings.Contains(content, c.wantNote) {
					t.Errorf("%s: response %q does not say %q", c.name, content, c.wantNote)
				}
			}

			edits := e.openaiCalls(editsPath)
			if len(edits) != len(cases) {
				t.Fatalf("%d image edits reached OpenAI, want %d", len(edits), len(cases))
			}
			for _, req := range edits {
				checkEditUpload(t, req, 120, 80, 1)
			}
			for _, row := range ledgerRows(t, e) {
				if row.Status != models.StatusSettled || row.Cost <= 0 {
					t.Errorf("ledger row %s = %s at %d µ$, want settled and charged", row.InteractionID, row.Status, row.Cost)
				}
			}
		})
	}
}

// TestVariationDallE2 points the bot at dall-e-2, which an OpenAI-compatible
// server may still offer: a 600×400 PNG and a 1024×1024 JPEG must reach
// /v1/images/variations as square RGBA PNGs under 4 MB, charged at the
// configured price for unpriced models.
func TestVariationDallE2(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts, "TALLY_IMAGE_MODEL=dall-e-2", "TALLY_UNPRICED_REQUEST_USD=0.02"}})
			wide := e.discord.HostAttachment(guildChannel, "wide.png", "image/png", encodeImage(t, "png", picture(600, 400)))
			square := e.discord.HostAttachment(dmChannel, "photo.jpg", "image/jpeg", encodeImage(t, "jpeg", picture(1024, 1024)))

			wideIn := e.send(variationIn(true, wide, fakediscord.StringOption("prompt", "in autumn")))
			wideEdits := e.waitEdits(wideIn, 1, 30*time.Second)
			squareIn := e.send(variationIn(false, square, fakediscord.IntegerOption("count", 2)))
			squareEdits := e.waitEdits(squareIn, 1, 30*time.Second)

			checkDeferredThenOneImageEdit(t, e, wideIn, wideEdits, 1)
			checkDeferredThenOneImageEdit(t, e, squareIn, squareEdits, 2)
			content := editContent(t, wideEdits[0])
			for _, want := range []string{"cropped the image to a square", "prompt was not used", "Cost: $0.02"} {
				if !strings.Contains(content, want) {
					t.Errorf("response %q does not contain %q", content, want)
				}
			}

			if n := len(e.openaiCalls(editsPath)); n != 0 {
				t.Errorf("%d image edits reached OpenAI, want none with dall-e-2", n)
			}
			calls := e.openaiCalls(variationsPath)
			if len(calls) != 2 {
				t.Fatalf("%d variations reached OpenAI, want 2", len(calls))
			}
			for i, wantSide := range []int{400, 1024} {
				req := calls[i]
				if req.Status != 200 || len(req.Files) != 1 {
					t.Fatalf("variation %d: status %d with %d files", i, req.Status, len(req.Files))
				}
				f := req.Files[0]
				config, err := png.DecodeConfig(bytes.NewReader(f.Data))
				if err != nil || f.ContentType != "image/png" || !strings.HasSuffix(f.Filename, ".png") {
					t.Fatalf("variation %d: %q (%s) is not a PNG: %v", i, f.Filename, f.ContentType, err)
				}
				if config.Width != wantSide || config.Height != wantSide || f.Data[25] != 6 || len(f.Data) >= 4_000_000 {
					t.Errorf("variation %d: %d×%d, color type %d, %d bytes; want %d square, RGBA (6), under 4 MB",
						i, config.Width, config.Height, f.Data[25], len(f.Data), wantSide)
				}
				if _, ok := req.Fields["prompt"]; ok {
					t.Errorf("variation %d carries a prompt, which the endpoint does not take", i)
				}
			}

			for _, row := range ledgerRows(t, e) {
				if row.Status != models.StatusSettled || row.Cost != 20_000 || row.PriceID != nil || row.Model != "dall-e-2" {
					t.Errorf("ledger row %s = %s at %d µ$ (price %v, model %s), want settled at 20000 µ$ without a price, dall-e-2",
						row.InteractionID, row.Status, row.Cost, row.PriceID, row.Model)
				}
			}
		})
	}
}

// TestVariationAdmissionRefusals runs into a budget, a daily limit and a
// blacklist. Each refusal is one ephemeral response, sent before any download.
func TestVariationAdmissionRefusals(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts,
				"TALLY_DEFAULT_DAILY_REQUESTS=2", "TALLY_DEFAULT_DAILY_BUDGET_USD=0.25"}})
			file := func(guild bool) fakediscord.Attachment {
				return e.discord.HostAttachment(channelOf(guild), "cat.png", "image/png", encodeImage(t, "png", picture(64, 48)))
			}

			first := e.send(variationIn(true, file(true)))
			e.waitEdits(first, 1, 30*time.Second)
			// Four images are estimated above what is left of $0.25.
			overBudget := e.send(variationIn(true, file(true), fakediscord.IntegerOption("count", 4)))
			checkEphemeralRefusal(t, e, overBudget, "spending cap")
			second := e.send(variationIn(true, file(true)))
			e.waitEdits(second, 1, 30*time.Second)
			limited := e.send(variationIn(true, file(true)))
			checkEphemeralRefusal(t, e, limited, "all 2 of your requests")

			ctx := context.Background()
			user, err := models.FindUserByDiscordID(ctx, e.db, member.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.AddBlacklistEntry(ctx, e.db, models.BlacklistParams{UserID: user.ID, GuildID: models.GlobalGuildID, Reason: "spam"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			blocked := e.send(variationIn(false, file(false)))
			checkEphemeralRefusal(t, e, blocked, "blocked")

			if n := len(attachmentFetches(e)); n != 2 {
				t.Errorf("%d attachment downloads, want 2: refused requests download nothing", n)
			}
			if n := len(e.openaiCalls(editsPath)); n != 2 {
				t.Errorf("%d image edits reached OpenAI, want 2", n)
			}
			for _, row := range ledgerRows(t, e) {
				refused := row.InteractionID == overBudget.ID || row.InteractionID == limited.ID || row.InteractionID == blocked.ID
				if refused && (row.Status != models.StatusRefused || row.Cost != 0) {
					t.Errorf("refused row %s = %s at %d µ$, want refused at zero", row.InteractionID, row.Status, row.Cost)
				}
			}
		})
	}
}

// TestVariationOpenAIFailures has OpenAI block the edit from a server and
// report exhausted quota for a DM: one request each, one edit each, and
// nothing charged.
func TestVariationOpenAIFailures(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{extraEnv: []string{attachmentHosts}})
			e.openai.Script(editsPath, fakeopenai.ModerationBlocked(), fakeopenai.InsufficientQuota())
			data := encodeImage(t, "png", picture(64, 48))

			guildIn := e.send(variationIn(true, e.discord.HostAttachment(guildChannel, "a.png", "image/png", data)))
			e.waitEdits(guildIn, 1, 30*time.Second)
			dmIn := e.send(variationIn(false, e.discord.HostAttachment(dmChannel, "b.png", "image/png", data)))
			e.waitEdits(dmIn, 1, 30*time.Second)

			checkEditedRefusal(t, e, guildIn, "safety system refused")
			checkEditedRefusal(t, e, dmIn, "out of credit")
			if n := len(e.openaiCalls(editsPath)); n != 2 {
				t.Errorf("%d image edits reached OpenAI, want 2 (no retries)", n)
			}
			rows := ledgerRows(t, e)
			if len(rows) != 2 {
				t.Fatalf("ledger has %d rows, want 2", len(rows))
			}
			for i, wantFailure := range []string{"moderation", "quota"} {
				if rows[i].Status != models.StatusFailed || rows[i].Cost != 0 || rows[i].Failure != wantFailure {
					t.Errorf("row %d = %s at %d µ$, failure %q; want failed at zero, %s", i, rows[i].Status, rows[i].Cost, rows[i].Failure, wantFailure)
				}
			}
		})
	}
}
