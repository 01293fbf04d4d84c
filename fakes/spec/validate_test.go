package spec

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

const callbackPath = "/api/v9/interactions/123456789012345678/aW50ZXJhY3Rpb24tdG9rZW4/callback"

// mustLoad returns the validator from load, skipping the test when the specs
// folder is missing outside CI.
func mustLoad(t testing.TB, load func() (*Validator, error)) *Validator {
	t.Helper()
	v, err := load()
	if errors.Is(err, ErrSpecsMissing) && !Required() {
		t.Skipf("skip spec validation: %v", err)
	}
	if err != nil {
		t.Fatalf("load validator: %v", err)
	}
	return v
}

// newRequest builds a server-side request with a bearer key, as the fakes
// receive it.
func newRequest(t testing.TB, method, path, contentType string, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Authorization", "Bearer sk-test")
	return r
}

// multipartBody writes fields in order, then one file part per entry of
// files (part name to file name), each holding a few PNG signature bytes.
func multipartBody(t testing.TB, fields [][2]string, files [][2]string) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatalf("write field %s: %v", f[0], err)
		}
	}
	for _, f := range files {
		part, err := w.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatalf("create file part %s: %v", f[0], err)
		}
		if _, err := part.Write([]byte("\x89PNG\r\n\x1a\n")); err != nil {
			t.Fatalf("write file part %s: %v", f[0], err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close multipart writer: %v", err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// failureFields returns the Field of every failure in err, which must be an
// *Error.
func failureFields(t *testing.T, err error) []string {
	t.Helper()
	var verr *Error
	if !errors.As(err, &verr) {
		t.Fatalf("error %v is %T, want *Error", err, err)
	}
	fields := make([]string, 0, len(verr.Failures))
	for _, f := range verr.Failures {
		fields = append(fields, f.Field)
	}
	return fields
}

type requestCase struct {
	name        string
	method      string
	path        string
	contentType string
	body        []byte
	// wantFields lists fields that must each appear in a failure; nil means
	// the request is valid.
	wantFields []string
	// wantText must appear in the error text when the request is invalid.
	wantText string
}

func runRequestCases(t *testing.T, v *Validator, cases []requestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, tc.method, tc.path, tc.contentType, tc.body)
			err := v.ValidateRequest(r, tc.body)

			if tc.wantFields == nil && tc.wantText == "" {
				if err != nil {
					t.Fatalf("ValidateRequest() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ValidateRequest() = nil, want an error")
			}
			gotFields := failureFields(t, err)
			for _, want := range tc.wantFields {
				if !slices.Contains(gotFields, want) {
					t.Errorf("failure fields %q do not include %q; error:\n%v", gotFields, want, err)
				}
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error text does not contain %q:\n%v", tc.wantText, err)
			}
		})
	}
}

func TestOpenAIImageRequests(t *testing.T) {
	v := mustLoad(t, OpenAI)
	editBody, editType := multipartBody(t,
		[][2]string{{"model", "gpt-image-2"}, {"prompt", "make it blue"}, {"size", "1024x1024"}},
		[][2]string{{"image", "input.png"}})
	zeroBody, zeroType := multipartBody(t,
		[][2]string{{"model", "gpt-image-2"}, {"prompt", "make it blue"}, {"n", "0"}},
		[][2]string{{"image", "input.png"}})
	noImageBody, noImageType := multipartBody(t,
		[][2]string{{"model", "gpt-image-2"}, {"prompt", "make it blue"}}, nil)
	bracketsBody, bracketsType := multipartBody(t,
		[][2]string{{"model", "gpt-image-2"}, {"prompt", "make it blue"}},
		[][2]string{{"image[]", "first.png"}, {"image[]", "second.png"}})
	bracketsZeroBody, bracketsZeroType := multipartBody(t,
		[][2]string{{"model", "gpt-image-2"}, {"n", "0"}},
		[][2]string{{"image[]", "first.png"}})

	runRequestCases(t, v, []requestCase{
		{
			name: "generation valid", method: http.MethodPost, path: "/v1/images/generations",
			contentType: "application/json",
			body:        []byte(`{"model":"gpt-image-2","prompt":"a red cube","n":2,"size":"1024x1024","quality":"low"}`),
		},
		{
			name: "generation n and quality invalid", method: http.MethodPost, path: "/v1/images/generations",
			contentType: "application/json",
			body:        []byte(`{"model":"gpt-image-2","prompt":"a red cube","n":11,"quality":"ultra"}`),
			wantFields:  []string{"$.n", "$.quality"},
			wantText:    "maximum",
		},
		{
			name: "generation prompt missing", method: http.MethodPost, path: "/v1/images/generations",
			contentType: "application/json",
			body:        []byte(`{"model":"gpt-image-2"}`),
			wantText:    "missing property 'prompt'",
		},
		{
			name: "edit multipart valid", method: http.MethodPost, path: "/v1/images/edits",
			contentType: editType, body: editBody,
		},
		{
			name: "edit multipart n zero", method: http.MethodPost, path: "/v1/images/edits",
			contentType: zeroType, body: zeroBody,
			wantFields: []string{"$.n"},
		},
		{
			name: "edit multipart image missing", method: http.MethodPost, path: "/v1/images/edits",
			contentType: noImageType, body: noImageBody,
			wantText: "missing property 'image'",
		},
		{
			name: "edit multipart image array valid", method: http.MethodPost, path: "/v1/images/edits",
			contentType: bracketsType, body: bracketsBody,
		},
		{
			name: "edit multipart image array invalid", method: http.MethodPost, path: "/v1/images/edits",
			contentType: bracketsZeroType, body: bracketsZeroBody,
			wantFields: []string{"$.n"},
			wantText:   "missing property 'prompt'",
		},
		{
			name: "unknown path", method: http.MethodPost, path: "/v1/images/unknown",
			contentType: "application/json", body: []byte(`{}`),
			wantText: "not found",
		},
	})
}

func TestDiscordInteractionCallback(t *testing.T) {
	v := mustLoad(t, Discord)
	withFile, withFileType := multipartBody(t,
		[][2]string{{"payload_json", `{"type":4,"data":{"content":"done","attachments":[{"id":"0","filename":"image-1.png"}]}}`}},
		[][2]string{{"files[0]", "image-1.png"}})
	strayPart, strayPartType := multipartBody(t,
		[][2]string{{"payload_json", `{"type":4,"data":{"content":"done"}}`}, {"content", "done"}},
		[][2]string{{"files[0]", "image-1.png"}})
	badPayload, badPayloadType := multipartBody(t,
		[][2]string{{"payload_json", `{"type":4,"data":{"content":"done","attachments":[{"id":0}]}}`}},
		[][2]string{{"files[0]", "image-1.png"}})

	runRequestCases(t, v, []requestCase{
		{
			name: "deferred response valid", method: http.MethodPost, path: callbackPath,
			contentType: "application/json", body: []byte(`{"type":5}`),
		},
		{
			name: "message response valid", method: http.MethodPost, path: callbackPath,
			contentType: "application/json", body: []byte(`{"type":4,"data":{"content":"hello","flags":64}}`),
		},
		{
			name: "unknown callback type", method: http.MethodPost, path: callbackPath,
			contentType: "application/json", body: []byte(`{"type":99}`),
			wantFields: []string{"$.type"},
		},
		{
			name: "multipart with file valid", method: http.MethodPost, path: callbackPath,
			contentType: withFileType, body: withFile,
		},
		{
			name: "multipart stray part", method: http.MethodPost, path: callbackPath,
			contentType: strayPartType, body: strayPart,
			wantFields: []string{"content"},
			wantText:   "unexpected multipart part",
		},
		{
			name: "multipart attachment id not a string", method: http.MethodPost, path: callbackPath,
			contentType: badPayloadType, body: badPayload,
			wantFields: []string{"$.data.attachments[0].id"},
		},
	})
}

func TestValidateResponse(t *testing.T) {
	v := mustLoad(t, OpenAI)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name       string
		method     string
		path       string
		status     int
		body       string
		wantFields []string
		wantText   string
	}{
		{
			name: "image response valid", method: http.MethodPost, path: "/v1/images/generations", status: http.StatusOK,
			body: `{"created":1,"data":[{"b64_json":"iVBORw0KGgo="}],"size":"1024x1024","quality":"low","output_format":"png",` +
				`"usage":{"input_tokens":3,"input_tokens_details":{"text_tokens":3,"image_tokens":0},"output_tokens":272,` +
				`"output_tokens_details":{"image_tokens":272,"text_tokens":0},"total_tokens":275}}`,
		},
		{
			name: "image response bad size and usage", method: http.MethodPost, path: "/v1/images/generations", status: http.StatusOK,
			body:       `{"created":1,"data":[],"size":"999x999","usage":{"input_tokens":1}}`,
			wantFields: []string{"$.size", "$.usage"},
		},
		{
			name: "model list valid", method: http.MethodGet, path: "/v1/models", status: http.StatusOK,
			body: `{"object":"list","data":[{"id":"gpt-image-2","object":"model","created":1,"owned_by":"openai","shutdown_date":null}]}`,
		},
		{
			name: "undocumented status", method: http.MethodGet, path: "/v1/models", status: http.StatusTeapot,
			body:     `{}`,
			wantText: "'418' does not exist",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, tc.method, tc.path, "", nil)
			err := v.ValidateResponse(r, tc.status, jsonHeader, []byte(tc.body))

			if tc.wantFields == nil && tc.wantText == "" {
				if err != nil {
					t.Fatalf("ValidateResponse() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ValidateResponse() = nil, want an error")
			}
			gotFields := failureFields(t, err)
			for _, want := range tc.wantFields {
				if !slices.Contains(gotFields, want) {
					t.Errorf("failure fields %q do not include %q", gotFields, want)
				}
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error text does not contain %q:\n%v", tc.wantText, err)
			}
		})
	}
}

func TestValidateRequestKeepsBody(t *testing.T) {
	v := mustLoad(t, OpenAI)
	body := []byte(`{"model":"gpt-image-2","prompt":"a red cube"}`)
	r := newRequest(t, http.MethodPost, "/v1/images/generations", "application/json", body)

	if err := v.ValidateRequest(r, body); err != nil {
		t.Fatalf("ValidateRequest() = %v, want nil", err)
	}
	if err := v.ValidateResponse(r, http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"created":1}`)); err != nil {
		t.Fatalf("ValidateResponse() = %v, want nil", err)
	}

	got, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read request body: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("request body after validation = %q, want %q", got, body)
	}
	if r.URL.Path != "/v1/images/generations" {
		t.Errorf("request path after validation = %q, want it unchanged", r.URL.Path)
	}
}

func TestDiscordPathKeepsCallerRequest(t *testing.T) {
	v := mustLoad(t, Discord)
	body := []byte(`{"type":5}`)
	r := newRequest(t, http.MethodPost, callbackPath, "application/json", body)

	if err := v.ValidateRequest(r, body); err != nil {
		t.Fatalf("ValidateRequest() = %v, want nil", err)
	}
	if r.URL.Path != callbackPath {
		t.Errorf("request path after validation = %q, want %q", r.URL.Path, callbackPath)
	}
}

// TestValidatorConcurrent is meant for go test -race: it validates valid and
// invalid requests on both validators from several goroutines at once.
func TestValidatorConcurrent(t *testing.T) {
	openAI := mustLoad(t, OpenAI)
	discord := mustLoad(t, Discord)
	valid := []byte(`{"model":"gpt-image-2","prompt":"a red cube"}`)
	invalid := []byte(`{"model":"gpt-image-2","prompt":"a red cube","n":0}`)
	callback := []byte(`{"type":4,"data":{"content":"hello"}}`)

	const goroutines, rounds = 8, 25
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*rounds*3)
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				r := newRequest(t, http.MethodPost, "/v1/images/generations", "application/json", valid)
				if err := openAI.ValidateRequest(r, valid); err != nil {
					errs <- "valid generation: " + err.Error()
				}
				r = newRequest(t, http.MethodPost, "/v1/images/generations", "application/json", invalid)
				if err := openAI.ValidateRequest(r, invalid); err == nil {
					errs <- "invalid generation passed"
				}
				r = newRequest(t, http.MethodPost, callbackPath, "application/json", callback)
				if err := discord.ValidateRequest(r, callback); err != nil {
					errs <- "valid callback: " + err.Error()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
