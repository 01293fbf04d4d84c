package spec

import (
	"net/http"
	"testing"
)

func BenchmarkValidateRequest(b *testing.B) {
	openAI := mustLoad(b, OpenAI)
	discord := mustLoad(b, Discord)
	editBody, editType := multipartBody(b,
		[][2]string{{"model", "gpt-image-2"}, {"prompt", "make it blue"}, {"size", "1024x1024"}},
		[][2]string{{"image", "input.png"}})
	callbackBody, callbackType := multipartBody(b,
		[][2]string{{"payload_json", `{"type":4,"data":{"content":"done"}}`}},
		[][2]string{{"files[0]", "image-1.png"}})

	benchmarks := []struct {
		name        string
		v           *Validator
		path        string
		contentType string
		body        []byte
	}{
		{name: "openai generation json", v: openAI, path: "/v1/images/generations", contentType: "application/json",
			body: []byte(`{"model":"gpt-image-2","prompt":"a red cube","n":2,"size":"1024x1024","quality":"low"}`)},
		{name: "openai edit multipart", v: openAI, path: "/v1/images/edits", contentType: editType, body: editBody},
		{name: "discord callback json", v: discord, path: callbackPath, contentType: "application/json",
			body: []byte(`{"type":4,"data":{"content":"hello"}}`)},
		{name: "discord callback multipart", v: discord, path: callbackPath, contentType: callbackType, body: callbackBody},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			r := newRequest(b, http.MethodPost, bm.path, bm.contentType, bm.body)
			for b.Loop() {
				if err := bm.v.ValidateRequest(r, bm.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidateResponse(b *testing.B) {
	openAI := mustLoad(b, OpenAI)
	body := []byte(`{"created":1,"data":[{"b64_json":"iVBORw0KGgo="}],"size":"1024x1024","quality":"low","output_format":"png",` +
		`"usage":{"input_tokens":3,"input_tokens_details":{"text_tokens":3,"image_tokens":0},"output_tokens":272,` +
		`"output_tokens_details":{"image_tokens":272,"text_tokens":0},"total_tokens":275}}`)
	r := newRequest(b, http.MethodPost, "/v1/images/generations", "", nil)
	header := http.Header{"Content-Type": {"application/json"}}
	for b.Loop() {
		if err := openAI.ValidateResponse(r, http.StatusOK, header, body); err != nil {
			b.Fatal(err)
		}
	}
}
