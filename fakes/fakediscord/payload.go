package fakediscord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// optional is a JSON field that may be absent, null or set.
type optional[T any] struct {
	present bool
	null    bool
	value   T
}

// attachmentRef is one entry of a request's attachments array: an
// existing attachment's ID, or the index n of a files[n] part.
type attachmentRef struct {
	ID          json.RawMessage `json:"id"`
	Filename    *string         `json:"filename"`
	Description *string         `json:"description"`
}

// messageInput is a message create or edit body, field by field.
type messageInput struct {
	content     optional[string]
	embeds      optional[[]Embed]
	attachments optional[[]attachmentRef]
	components  optional[[]json.RawMessage]
	flags       optional[int]
	// otherContent records a poll or sticker_ids, which make a message
	// non-empty without content the fake keeps.
	otherContent bool
	reply        bool
}

// parseMessageInput reads a message body. prefix is the JSON path of the
// body inside the request (["data"] in an interaction callback), used in
// error paths.
func parseMessageInput(raw json.RawMessage, prefix []string) (messageInput, []fieldError) {
	var in messageInput
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return in, []fieldError{{path: prefix, code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType"}}
	}

	var errs []fieldError
	errs = append(errs, decodeField(fields, "content", prefix, &in.content, "BASE_TYPE_STRING", "Must be a string.")...)
	errs = append(errs, decodeField(fields, "embeds", prefix, &in.embeds, "BASE_TYPE_LIST", "Must be a list of embed objects.")...)
	errs = append(errs, decodeField(fields, "attachments", prefix, &in.attachments, "BASE_TYPE_LIST", "Must be a list of attachment objects.")...)
	errs = append(errs, decodeField(fields, "components", prefix, &in.components, "BASE_TYPE_LIST", "Must be a list of components.")...)
	errs = append(errs, decodeField(fields, "flags", prefix, &in.flags, "NUMBER_TYPE_COERCE", "Value is not int.")...)
	for _, key := range []string{"poll", "sticker_ids"} {
		if v, ok := fields[key]; ok && !isNull(v) {
			in.otherContent = true
		}
	}
	if v, ok := fields["message_reference"]; ok && !isNull(v) {
		in.reply = true
	}
	return in, errs
}

func decodeField[T any](fields map[string]json.RawMessage, key string, prefix []string, out *optional[T], code, message string) []fieldError {
	raw, ok := fields[key]
	if !ok {
		return nil
	}
	out.present = true
	if isNull(raw) {
		out.null = true
		return nil
	}
	if err := json.Unmarshal(raw, &out.value); err != nil {
		return []fieldError{{path: appendPath(prefix, key), code: code, message: message}}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// appendPath returns a new path, never sharing prefix's array.
func appendPath(prefix []string, keys ...string) []string {
	out := make([]string, 0, len(prefix)+len(keys))
	out = append(out, prefix...)
	return append(out, keys...)
}

// messageChange describes how a body is applied to a message.
type messageChange struct {
	edit   bool
	prefix []string
	// allowedFlags are the flags a create may set; an edit may toggle
	// only FlagSuppressEmbeds.
	allowedFlags int
}

// applyMessage checks a body against Discord's limits and applies it to
// m: a new message when change.edit is false, an edit otherwise. On error
// m is unchanged. The caller holds s.mu.
func (s *Server) applyMessage(m *Message, in messageInput, files []File, change messageChange) *apiError {
	errs := checkMessageLimits(in, change.prefix)

	attachments, attachErrs := s.resolveAttachments(*m, in, files, change)
	errs = append(errs, attachErrs...)

	flags := m.Flags
	if in.flags.present && !in.flags.null {
		if change.edit {
			flags = flags&^FlagSuppressEmbeds | in.flags.value&FlagSuppressEmbeds
		} else {
			if extra := in.flags.value &^ change.allowedFlags; extra != 0 {
				errs = append(errs, fieldError{path: appendPath(change.prefix, "flags"), code: "MESSAGE_FLAGS_INVALID", message: fmt.Sprintf("Flags %d cannot be set on this message.", extra)})
			}
			flags |= in.flags.value & change.allowedFlags
		}
	}
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return apiErr
	}

	next := m.clone()
	if in.content.present {
		next.Content = in.content.value
	}
	if in.embeds.present {
		next.Embeds = in.embeds.value
	}
	if in.components.present {
		next.Components = in.components.value
	}
	next.Attachments = attachments
	next.Flags = flags
	if in.reply && !change.edit {
		next.Type = MessageTypeReply
	}
	if next.Content == "" && len(next.Embeds) == 0 && len(next.Attachments) == 0 && len(next.Components) == 0 && !in.otherContent {
		return errEmptyMessage()
	}

	for _, a := range attachments {
		s.hosted[a.ID] = a
	}
	*m = next
	return nil
}

// resolveAttachments works out a message's attachments after a body.
//
// Without an attachments array every files[n] part becomes a new
// attachment, added after the ones an edited message already has (API v9
// behaviour, kept for v10 too). With an attachments array the message gets
// exactly the listed entries: an existing attachment's ID keeps it, and
// the index n of a files[n] part adds that file.
//
// NOTE: Discord's documentation does not say what happens to a files[n]
// part that an attachments array leaves out. The fake rejects it, because
// a bot that sends one expects a file that may never appear.
func (s *Server) resolveAttachments(m Message, in messageInput, files []File, change messageChange) ([]Attachment, []fieldError) {
	byIndex := map[string]File{}
	for _, f := range files {
		byIndex[f.Field[len("files["):len(f.Field)-1]] = f
	}

	var out []Attachment
	if change.edit {
		out = append(out, m.Attachments...)
	}
	if !in.attachments.present || in.attachments.null {
		if in.attachments.null {
			out = nil
		}
		for _, f := range files {
			out = append(out, s.newAttachment(m, f, nil))
		}
		return out, checkAttachmentCount(out, change.prefix)
	}

	existing := map[string]Attachment{}
	for _, a := range m.Attachments {
		existing[a.ID] = a
	}
	out = nil
	var errs []fieldError
	used := map[string]bool{}
	for i, ref := range in.attachments.value {
		path := appendPath(change.prefix, "attachments", strconv.Itoa(i))
		id, ok := snowflakeOrIndex(ref.ID)
		if !ok {
			errs = append(errs, fieldError{path: appendPath(path, "id"), code: "BASE_TYPE_REQUIRED", message: "This field is required"})
			continue
		}
		if ref.Description != nil && len([]rune(*ref.Description)) > 1024 {
			errs = append(errs, fieldError{path: appendPath(path, "description"), code: "BASE_TYPE_MAX_LENGTH", message: "Must be 1024 or fewer in length."})
		}
		if f, ok := byIndex[id]; ok && !used[id] {
			used[id] = true
			out = append(out, s.newAttachment(m, f, &ref))
			continue
		}
		if a, ok := existing[id]; ok && change.edit {
			if ref.Description != nil {
				a.Description = *ref.Description
			}
			out = append(out, a)
			continue
		}
		errs = append(errs, fieldError{path: appendPath(path, "id"), code: "ATTACHMENT_NOT_FOUND", message: fmt.Sprintf("Attachment %q matches no files[n] part and no attachment of the message.", id)})
	}
	for _, f := range files {
		n := f.Field[len("files[") : len(f.Field)-1]
		if !used[n] {
			errs = append(errs, fieldError{path: []string{f.Field}, code: "ATTACHMENT_NOT_REFERENCED", message: fmt.Sprintf("The attachments array has no entry with id %s for this file.", n)})
		}
	}
	return out, append(errs, checkAttachmentCount(out, change.prefix)...)
}

// snowflakeOrIndex reads an attachment ID written as a JSON string or
// number.
func snowflakeOrIndex(raw json.RawMessage) (string, bool) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil && text != "" {
		return text, true
	}
	var number json.Number
	if err := json.Unmarshal(raw, &number); err == nil && number != "" {
		return number.String(), true
	}
	return "", false
}
