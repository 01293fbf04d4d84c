package fakediscord

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Discord's message limits, from its message and embed documentation.
const (
	MaxContentLength          = 2000
	MaxEmbeds                 = 10
	MaxEmbedTitleLength       = 256
	MaxEmbedDescriptionLength = 4096
	MaxEmbedFields            = 25
	MaxEmbedFieldNameLength   = 256
	MaxEmbedFieldValueLength  = 1024
	MaxEmbedFooterLength      = 2048
	MaxEmbedAuthorLength      = 256
	// MaxEmbedTotalLength bounds the sum of all the text fields above over
	// every embed of one message.
	MaxEmbedTotalLength = 6000
	MaxAttachments      = 10
)

// checkMessageLimits checks content and embeds against Discord's limits.
// Lengths are counted in Unicode code points.
//
// NOTE: components are stored as sent and not checked.
func checkMessageLimits(in messageInput, prefix []string) []fieldError {
	var errs []fieldError
	if in.content.present {
		errs = append(errs, checkLength(appendPath(prefix, "content"), in.content.value, MaxContentLength, false)...)
	}
	if !in.embeds.present {
		return errs
	}
	embeds := in.embeds.value
	if len(embeds) > MaxEmbeds {
		errs = append(errs, tooMany(appendPath(prefix, "embeds"), MaxEmbeds))
	}
	total := 0
	for i, e := range embeds {
		path := appendPath(prefix, "embeds", strconv.Itoa(i))
		errs = append(errs, checkLength(appendPath(path, "title"), e.Title, MaxEmbedTitleLength, false)...)
		errs = append(errs, checkLength(appendPath(path, "description"), e.Description, MaxEmbedDescriptionLength, false)...)
		total += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		if e.Footer != nil {
			errs = append(errs, checkLength(appendPath(path, "footer", "text"), e.Footer.Text, MaxEmbedFooterLength, true)...)
			total += utf8.RuneCountInString(e.Footer.Text)
		}
		if e.Author != nil {
			errs = append(errs, checkLength(appendPath(path, "author", "name"), e.Author.Name, MaxEmbedAuthorLength, true)...)
			total += utf8.RuneCountInString(e.Author.Name)
		}
		if len(e.Fields) > MaxEmbedFields {
			errs = append(errs, tooMany(appendPath(path, "fields"), MaxEmbedFields))
		}
		for j, f := range e.Fields {
			fieldPath := appendPath(path, "fields", strconv.Itoa(j))
			errs = append(errs, checkLength(appendPath(fieldPath, "name"), f.Name, MaxEmbedFieldNameLength, true)...)
			errs = append(errs, checkLength(appendPath(fieldPath, "value"), f.Value, MaxEmbedFieldValueLength, true)...)
			total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
	}
	if total > MaxEmbedTotalLength {
		errs = append(errs, fieldError{
			path:    appendPath(prefix, "embeds"),
			code:    "MESSAGE_EMBEDS_TOO_LARGE",
			message: fmt.Sprintf("Embed size exceeds maximum size of %d", MaxEmbedTotalLength),
		})
	}
	return errs
}

func checkAttachmentCount(attachments []Attachment, prefix []string) []fieldError {
	if len(attachments) > MaxAttachments {
		return []fieldError{tooMany(appendPath(prefix, "attachments"), MaxAttachments)}
	}
	return nil
}

// checkLength checks a text field's length; required fields must not be
// empty.
func checkLength(path []string, text string, max int, required bool) []fieldError {
	n := utf8.RuneCountInString(text)
	if required && n == 0 {
		return []fieldError{{path: path, code: "BASE_TYPE_REQUIRED", message: "This field is required"}}
	}
	if n > max {
		return []fieldError{{path: path, code: "BASE_TYPE_MAX_LENGTH", message: fmt.Sprintf("Must be %d or fewer in length.", max)}}
	}
	return nil
}

func tooMany(path []string, max int) fieldError {
	return fieldError{path: path, code: "BASE_TYPE_MAX_LENGTH", message: fmt.Sprintf("Must be %d or fewer in length.", max)}
}
