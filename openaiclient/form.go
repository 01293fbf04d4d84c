package openaiclient

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// imageForm is an encoded multipart body, kept whole so that every retry
// sends the same bytes.
type imageForm struct {
	body        []byte
	contentType string
}

// imageFileNames maps a sniffed content type to the file name the form
// gives the image part; the API reads the format from the name's extension.
var imageFileNames = map[string]string{
	"image/png":  "image.png",
	"image/jpeg": "image.jpg",
	"image/webp": "image.webp",
}

// formWriter writes multipart fields into a buffer, keeping the first error.
type formWriter struct {
	buffer bytes.Buffer
	writer *multipart.Writer
	err    error
}

func newFormWriter() *formWriter {
	form := &formWriter{}
	form.writer = multipart.NewWriter(&form.buffer)
	return form
}

// field writes a text field unless value is empty.
func (f *formWriter) field(name, value string) {
	if f.err != nil || value == "" {
		return
	}
	f.err = f.writer.WriteField(name, value)
}

// number writes an integer field unless value is zero.
func (f *formWriter) number(name string, value int) {
	if value == 0 {
		return
	}
	f.field(name, strconv.Itoa(value))
}

// file writes an image part named after its sniffed content type. Callers
// have checked the type.
func (f *formWriter) file(name string, data []byte) {
	if f.err != nil {
		return
	}
	contentType := http.DetectContentType(data)
	fileName := strings.Replace(imageFileNames[contentType], "image", name, 1)
	header := make(textproto.MIMEHeader)
	header.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, name, fileName))
	header.Set("Content-Type", contentType)
	part, err := f.writer.CreatePart(header)
	if err != nil {
		f.err = err
		return
	}
	_, f.err = part.Write(data)
}

func (f *formWriter) close() (*imageForm, error) {
	if f.err == nil {
		f.err = f.writer.Close()
	}
	if f.err != nil {
		return nil, fmt.Errorf("encode form: %w", f.err)
	}
	return &imageForm{body: f.buffer.Bytes(), contentType: f.writer.FormDataContentType()}, nil
}
