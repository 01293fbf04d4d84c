package spec

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrimArrayBrackets(t *testing.T) {
	body, contentType := multipartBody(t,
		[][2]string{{"prompt", "make it blue"}, {"tags[]", "a"}},
		[][2]string{{"image[]", "first.png"}, {"mask", "mask.png"}})
	header := http.Header{"Content-Type": {contentType}}

	trimmed, ok, err := trimArrayBrackets(header, body)
	if err != nil {
		t.Fatalf("trimArrayBrackets() error = %v", err)
	}
	if !ok {
		t.Fatal("trimArrayBrackets() ok = false, want true for a body with [] parts")
	}

	type part struct {
		Name, Filename, ContentType, Data string
	}
	var got []part
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("parse Content-Type: %v", err)
	}
	reader := multipart.NewReader(bytes.NewReader(trimmed), params["boundary"])
	for {
		p, err := reader.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read trimmed body: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		got = append(got, part{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: string(data)})
	}
	png := "\x89PNG\r\n\x1a\n"
	want := []part{
		{Name: "prompt", Data: "make it blue"},
		{Name: "tags", Data: "a"},
		{Name: "image", Filename: "first.png", ContentType: "application/octet-stream", Data: png},
		{Name: "mask", Filename: "mask.png", ContentType: "application/octet-stream", Data: png},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("trimmed parts mismatch (-got +want):\n%s", diff)
	}
}

func TestTrimArrayBracketsLeavesOtherBodies(t *testing.T) {
	plain, plainType := multipartBody(t, [][2]string{{"prompt", "x"}}, [][2]string{{"image", "a.png"}})
	tests := []struct {
		name        string
		contentType string
		body        []byte
	}{
		{name: "json", contentType: "application/json", body: []byte(`{"image[]":"x"}`)},
		{name: "multipart without brackets", contentType: plainType, body: plain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := trimArrayBrackets(http.Header{"Content-Type": {tc.contentType}}, tc.body)
			if err != nil || ok {
				t.Errorf("trimArrayBrackets() = ok %v, error %v, want false and nil", ok, err)
			}
		})
	}
}
