package report

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/tallybot/tally/models"
)

// WriteTable prints the summary for a terminal: totals, then by endpoint,
// then the top members.
func WriteTable(w io.Writer, s Summary) error {
	scope := "all servers"
	if s.GuildID != "" {
		scope = "server " + s.GuildID
	}
	fmt.Fprintf(w, "Usage of %s from %s to %s: %d requests, %s\n\n", scope, s.Period.Since, s.Period.Until, s.Requests, s.Cost)

	byEndpoint := map[string]DailyCost{}
	var endpoints []string
	for _, d := range s.Daily {
		e := byEndpoint[d.Endpoint]
		if e.Endpoint == "" {
			endpoints = append(endpoints, d.Endpoint)
		}
		e.Endpoint = d.Endpoint
		e.Requests += d.Requests
		e.Cost += d.Cost
		byEndpoint[d.Endpoint] = e
	}
	slices.Sort(endpoints)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ENDPOINT\tREQUESTS\tCOST\t")
	for _, name := range endpoints {
		e := byEndpoint[name]
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", name, e.Requests, e.Cost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(s.Top) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "MEMBER\tDISCORD ID\tREQUESTS\tCOST\t")
		for _, m := range s.Top {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t\n", m.Username, m.DiscordUserID, m.Requests, models.MicroUSD(m.Cost))
		}
		return tw.Flush()
	}
	return nil
}
