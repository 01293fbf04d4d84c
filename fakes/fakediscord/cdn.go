package fakediscord

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/gif"  // register GIF for image.DecodeConfig
	_ "image/jpeg" // register JPEG for image.DecodeConfig
	_ "image/png"  // register PNG for image.DecodeConfig
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// cdnPrefix and ephemeralPrefix start the attachment host's paths, which
// mirror cdn.discordapp.com.
const (
	cdnPrefix       = "/attachments/"
	ephemeralPrefix = "/ephemeral-attachments/"
	// attachmentLifetime is how long a signed attachment URL stays valid.
	attachmentLifetime = 24 * time.Hour
	attachmentGone     = "This content is no longer available."
)

// HostAttachment stores a file on the fake's attachment host, as Discord
// stores a file a member attaches to a slash command, and returns its
// attachment object. Its URL carries a signed, expiring query string
// (ex, is, hm), and the host responds 404 when the query is missing or
// altered. Pass it to AttachmentOption.
func (s *Server) HostAttachment(channelID, filename, contentType string, data []byte) Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.describeFile(ephemeralPrefix, channelID, File{Name: filename, ContentType: contentType, Data: data})
	a.Ephemeral = true
	s.hosted[a.ID] = a
	return a
}

// newAttachment makes the attachment object for an uploaded file. The
// caller holds s.mu and stores the result in s.hosted once the message is
// accepted.
func (s *Server) newAttachment(m Message, f File, ref *attachmentRef) Attachment {
	if ref != nil && ref.Filename != nil && *ref.Filename != "" {
		f.Name = *ref.Filename
	}
	a := s.describeFile(cdnPrefix, m.ChannelID, f)
	if ref != nil && ref.Description != nil {
		a.Description = *ref.Description
	}
	return a
}

func (s *Server) describeFile(prefix, channelID string, f File) Attachment {
	id := s.ids.next()
	contentType := f.ContentType
	if contentType == "" || contentType == "application/octet-stream" {
		contentType = mime.TypeByExtension(path.Ext(f.Name))
	}
	if contentType == "" {
		contentType = http.DetectContentType(f.Data)
	}
	a := Attachment{
		ID:          id,
		Filename:    f.Name,
		ContentType: contentType,
		Size:        len(f.Data),
		Data:        f.Data,
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(f.Data)); err == nil {
		a.Width, a.Height = cfg.Width, cfg.Height
	}
	a.URL = s.signURL(prefix+channelID+"/"+id+"/"+url.PathEscape(f.Name), s.now())
	a.ProxyURL = a.URL
	return a
}

// signURL adds Discord's signed query string to an attachment path: ex is
// the expiry and is the issue time, both hex Unix seconds, and hm a MAC
// over the path and both times.
func (s *Server) signURL(escapedPath string, issued time.Time) string {
	ex := strconv.FormatInt(issued.Add(attachmentLifetime).Unix(), 16)
	is := strconv.FormatInt(issued.Unix(), 16)
	return s.origin + escapedPath + "?ex=" + ex + "&is=" + is + "&hm=" + s.attachmentMAC(escapedPath, ex, is) + "&"
}

func (s *Server) attachmentMAC(escapedPath, ex, is string) string {
	mac := hmac.New(sha256.New, s.cdnKey)
	mac.Write([]byte(escapedPath + "\x00" + ex + "\x00" + is))
	return hex.EncodeToString(mac.Sum(nil))
}

// serveAttachment serves a hosted file when its signed query is intact and
// unexpired, and records the request.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	routeKey := RouteAttachmentGet
	prefix := cdnPrefix
	if strings.HasPrefix(r.URL.Path, ephemeralPrefix) {
		routeKey, prefix = RouteEphemeralAttachmentGet, ephemeralPrefix
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, prefix), "/")
	if len(parts) == 3 && r.Method == http.MethodGet {
		rec.Route = routeKey
		rec.Params = map[string]string{"channel_id": parts[0], "attachment_id": parts[1], "filename": parts[2]}
	}

	status, body, contentType := s.lookupAttachment(r, rec, prefix, parts)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)

	rec.Status = status
	if status != http.StatusOK {
		rec.Error, rec.Response = string(body), body
	}
	s.record(rec)
}

func (s *Server) lookupAttachment(r *http.Request, rec Request, prefix string, parts []string) (int, []byte, string) {
	const textPlain = "text/plain; charset=utf-8"
	if rec.Route == "" {
		return http.StatusNotFound, []byte(attachmentGone), textPlain
	}
	if step, ok := s.nextStep(rec.Route); ok {
		if failure := step.run(r.Context(), s.now()); failure != nil {
			return failure.status, failure.body(), "application/json"
		}
	}

	s.mu.Lock()
	a, ok := s.hosted[parts[1]]
	s.mu.Unlock()
	escapedPath := prefix + parts[0] + "/" + parts[1] + "/" + url.PathEscape(parts[2])
	if !ok || a.Filename != parts[2] || !strings.HasPrefix(a.URL, s.origin+escapedPath+"?") {
		return http.StatusNotFound, []byte(attachmentGone), textPlain
	}

	query := r.URL.Query()
	ex, is, hm := query.Get("ex"), query.Get("is"), query.Get("hm")
	expiry, err := strconv.ParseInt(ex, 16, 64)
	if err != nil || !hmac.Equal([]byte(hm), []byte(s.attachmentMAC(escapedPath, ex, is))) || s.now().Unix() >= expiry {
		return http.StatusNotFound, []byte(attachmentGone), textPlain
	}
	return http.StatusOK, a.Data, a.ContentType
}
