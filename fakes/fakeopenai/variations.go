package fakeopenai

import (
	"encoding/base64"
	"net/http"
	"time"
)

// Form fields and file parts POST /v1/images/variations accepts.
var (
	variationFields = []string{"model", "n", "response_format", "size", "user"}
	variationFiles  = []string{"image"}
)

// maxVariationBytes is dall-e-2's limit for a variation's input image,
// "less than 4MB" in OpenAI's API reference, taken as 2^20-byte megabytes.
const maxVariationBytes = 4 << 20

// createVariation serves POST /v1/images/variations, which only dall-e-2
// offers. The input must be one square PNG under 4 MB whose pixel format
// is RGBA, LA or L. Responses carry no usage, because dall-e-2 is priced
// per image.
func (s *Server) createVariation(x *exchange) reply {
	p, rep, ok := formParams(x, variationFields, variationFiles)
	if !ok {
		return rep
	}

	model := p.text("model", "dall-e-2")
	n := p.integer("n", 1, 1, 10)
	size := p.choice("size", "1024x1024", "256x256", "512x512", "1024x1024")
	format := p.choice("response_format", "url", "url", "b64_json")
	p.text("user", "")
	if rep, failed := p.failed(); failed {
		return rep
	}
	if _, ok := s.findModel(model); !ok {
		return modelNotFound(model)
	}
	if model != "dall-e-2" {
		return invalidRequest("model", "invalid_value", "Invalid value: '%s'. Variations are only supported for 'dall-e-2'.", model)
	}
	if rep, ok := checkVariationUpload(x.record.Files); !ok {
		return rep
	}
	if rep, ok := x.scripted(); ok {
		return rep
	}

	body := imagesBody{Created: time.Now().Unix()}
	for i := range n {
		encoded, err := render(picture{prompt: "variation", index: i, size: size, format: "png", fullSize: s.opts.FullSizeImages})
		if err != nil {
			return errorReply(http.StatusInternalServerError, APIError{Message: err.Error(), Type: typeServer})
		}
		if format == "b64_json" {
			body.Data = append(body.Data, imageData{B64JSON: base64.StdEncoding.EncodeToString(encoded)})
			continue
		}
		body.Data = append(body.Data, imageData{URL: s.storeImage(encoded, "image/png")})
	}
	return reply{status: http.StatusOK, value: body}
}

// checkVariationUpload checks that files is one square PNG under 4 MB in
// RGBA, LA or L format.
func checkVariationUpload(files []File) (reply, bool) {
	switch {
	case len(files) == 0:
		return missingParameter("image"), false
	case len(files) > 1:
		return invalidRequest("image", "duplicate_parameter", "Duplicate parameter: 'image' is given %d times.", len(files)), false
	}

	u, rep, ok := checkUpload(files[0], []string{"png"}, maxVariationBytes)
	if !ok {
		return rep, false
	}
	if u.width != u.height {
		return invalidRequest("image", "invalid_image_dimensions",
			"Invalid input image - image must be square, but it is %dx%d.", u.width, u.height), false
	}
	names := map[byte]string{0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
	if name := names[u.pngColorType]; name != "RGBA" && name != "LA" && name != "L" {
		return invalidRequest("image", "invalid_image_format",
			"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got %s.", name), false
	}
	return reply{}, true
}

// storeImage keeps data for serveImage and returns its URL.
func (s *Server) storeImage(data []byte, contentType string) string {
	name := "img-" + randomHex(12) + ".png"

	s.mu.Lock()
	s.images[name] = storedImage{data: data, contentType: contentType}
	s.mu.Unlock()
	return s.origin() + "/files/images/" + name
}

// storedImage is an image served under /files/images/ for URL responses.
type storedImage struct {
	data        []byte
	contentType string
}

// serveImage serves an image that a variation response returned as a URL.
// Like OpenAI's image URLs, it needs no key.
func (s *Server) serveImage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	img, ok := s.images[r.PathValue("name")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", img.contentType)
	_, _ = w.Write(img.data) // The client may have gone; nothing is left to do then.
}
