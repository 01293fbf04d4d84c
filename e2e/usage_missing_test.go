package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// usageStripper is an OpenAI-compatible proxy in front of the fake OpenAI
// that drops the usage object from image responses, as some compatible
// servers do.
type usageStripper struct {
	target atomic.Pointer[url.URL]
	server *httptest.Server
}

func newUsageStripper(t *testing.T) *usageStripper {
	t.Helper()
	s := &usageStripper{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			if target := s.target.Load(); target != nil {
				r.SetURL(target)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasPrefix(resp.Request.URL.Path, "/v1/images/") || resp.StatusCode != http.StatusOK {
				return nil
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			var object map[string]json.RawMessage
			if err := json.Unmarshal(body, &object); err == nil {
				delete(object, "usage")
				body, _ = json.Marshal(object)
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
	}
	s.server = httptest.NewServer(proxy)
	t.Cleanup(s.server.Close)
	return s
}

// TestAttackResponseWithoutUsage points tally at an OpenAI-compatible
// server whose image responses carry no usage. The image was made and
// billed, so the ledger must not record it as free.
func TestAttackResponseWithoutUsage(t *testing.T) {
	proxy := newUsageStripper(t)
	e := start(t, "sqlite", options{extraEnv: []string{"OPENAI_BASE_URL=" + proxy.server.URL + "/v1"}})
	target, err := url.Parse(strings.TrimSuffix(e.openai.URL(), "/v1"))
	if err != nil {
		t.Fatal(err)
	}
	proxy.target.Store(target)

	in := e.send(imagineIn(true, "a red cube"))
	edits := e.waitEdits(in, 1, 20*time.Second)
	time.Sleep(300 * time.Millisecond)

	rows := ledgerRows(t, e)
	content := editContent(t, edits[0])
	t.Logf("member sees %q; ledger %s at %d µ$ (estimate %d); log: %s", content, rows[0].Status, rows[0].Cost, rows[0].Estimate,
		grepLines(e.logs.String(), "usage"))
	if len(edits[0].Files) != 1 {
		t.Fatalf("no image delivered")
	}
	if rows[0].Cost == 0 {
		t.Errorf("an image OpenAI made was recorded at 0 µ$ because the response had no usage; want the estimate (marked uncertain) or a refusal to settle at zero")
	}
}
