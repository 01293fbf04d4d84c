package report

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"slices"

	"github.com/go-analyze/charts"

	"github.com/tallybot/tally/models"
)

// Chart sizes in pixels.
const (
	chartWidth       = 1000
	dailyChartHeight = 420
	topChartHeight   = 320
)

// Chart draws the summary as one PNG: daily cost stacked by endpoint over
// the period, and below it the top members by cost. Amounts become float
// dollars here only, for drawing.
func Chart(s Summary, title string) ([]byte, error) {
	days, err := s.Period.Days()
	if err != nil {
		return nil, err
	}
	daily, err := dailyChart(s, days, title)
	if err != nil {
		return nil, err
	}
	if len(s.Top) == 0 {
		return daily, nil
	}
	top, err := topChart(s)
	if err != nil {
		return nil, err
	}
	return stack(daily, top)
}

func dailyChart(s Summary, days []string, title string) ([]byte, error) {
	var endpoints []string
	for _, d := range s.Daily {
		if !slices.Contains(endpoints, d.Endpoint) {
			endpoints = append(endpoints, d.Endpoint)
		}
	}
	if len(endpoints) == 0 {
		endpoints = []string{models.EndpointImagesGenerate}
	}
	slices.Sort(endpoints)
	dayIndex := make(map[string]int, len(days))
	for i, d := range days {
		dayIndex[d] = i
	}
	values := make([][]float64, len(endpoints))
	for i := range values {
		values[i] = make([]float64, len(days))
	}
	for _, d := range s.Daily {
		i, ok := dayIndex[dayText(d.Date)]
		if !ok {
			continue
		}
		values[slices.Index(endpoints, d.Endpoint)][i] += usd(d.Cost)
	}

	opt := charts.NewBarChartOptionWithData(values)
	// go-analyze/charts v0.6.4 draws a stack on a single category below
	// zero, so one day gets bars side by side instead.
	opt.StackSeries = charts.Ptr(len(endpoints) > 1 && len(days) > 1)
	opt.Title.Text = title
	opt.Title.Subtext = fmt.Sprintf("%s to %s: %d requests, %s", s.Period.Since, s.Period.Until, s.Requests, s.Cost)
	opt.Padding = charts.Box{Top: 20, Right: 40, Bottom: 20, Left: 20}
	opt.CategoryAxis.Labels = shortDays(days)
	names := make([]string, len(endpoints))
	for i, e := range endpoints {
		names[i] = endpointName(e)
	}
	opt.Legend = charts.LegendOption{SeriesNames: names, Offset: charts.OffsetRight, Vertical: charts.Ptr(true)}
	opt.ValueFormatter = dollarLabel
	// Without a floor the library can draw negative dollars below a
	// single day's bar.
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(axisMax(values))}}
	return render(opt, dailyChartHeight)
}

func topChart(s Summary) ([]byte, error) {
	// Horizontal bars run bottom to top, so the largest goes last.
	n := len(s.Top)
	labels := make([]string, n)
	costs := make([]float64, n)
	for i, m := range s.Top {
		name := m.Username
		if name == "" {
			name = m.DiscordUserID
		}
		labels[n-1-i] = name
		costs[n-1-i] = usd(m.Cost)
	}
	opt := charts.NewBarChartOptionWithData([][]float64{costs})
	opt.Horizontal = true
	// The library's automatic scale can run far past the largest bar, so
	// the axis ends a little beyond it, and each bar carries its amount.
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(slices.Max(costs) * 1.25)}}
	opt.SeriesList[0].Label = charts.SeriesLabel{Show: charts.Ptr(true), ValueFormatter: dollarLabel}
	opt.Title.Text = "Top members by cost"
	opt.Padding = charts.Box{Top: 20, Right: 40, Bottom: 20, Left: 20}
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels}
	opt.SeriesLabelPosition = "right"
	opt.ValueFormatter = dollarLabel
	return render(opt, topChartHeight)
}

func render(opt charts.BarChartOption, height int) ([]byte, error) {
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputPNG, Width: chartWidth, Height: height})
	if err := p.BarChart(opt); err != nil {
		return nil, fmt.Errorf("draw chart: %w", err)
	}
	return p.Bytes()
}

// stack places the PNGs one above the other in one image.
func stack(pngs ...[]byte) ([]byte, error) {
	var parts []image.Image
	height := 0
	for _, b := range pngs {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("decode chart part: %w", err)
		}
		parts = append(parts, img)
		height += img.Bounds().Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, chartWidth, height))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	y := 0
	for _, img := range parts {
		draw.Draw(out, image.Rect(0, y, chartWidth, y+img.Bounds().Dy()), img, img.Bounds().Min, draw.Over)
		y += img.Bounds().Dy()
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// axisMax returns a top for the value axis a quarter above the tallest
// stacked bar, or one dollar when nothing was spent.
func axisMax(series [][]float64) float64 {
	tallest := 0.0
	for day := range series[0] {
		total := 0.0
		for _, s := range series {
			total += s[day]
		}
		tallest = max(tallest, total)
	}
	if tallest == 0 {
		return 1
	}
	return tallest * 1.25
}

// dollarLabel formats an axis or bar value, with more decimals for amounts
// under ten cents so that small costs do not all read $0.01.
func dollarLabel(f float64) string {
	if f != 0 && f < 0.1 && f > -0.1 {
		return fmt.Sprintf("$%.4f", f)
	}
	return fmt.Sprintf("$%.2f", f)
}

// endpointName names an endpoint key for the chart's legend.
func endpointName(key string) string {
	switch key {
	case models.EndpointImagesGenerate:
		return "Images (/imagine)"
	case models.EndpointImagesVariation:
		return "Variations (/variation)"
	case models.EndpointAssistantCreate:
		return "Assistant set-up"
	case models.EndpointAssistantThreadCreate:
		return "Assistant threads"
	case models.EndpointAssistantRun:
		return "Assistant replies"
	case models.EndpointAssistantSubmitToolRun:
		return "Assistant tool results"
	}
	return key
}

func usd(m models.MicroUSD) float64 {
	return float64(m) / models.MicroPerUSD
}

// shortDays labels days as MM-DD to keep a month readable on one axis.
func shortDays(days []string) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d[5:]
	}
	return out
}
