// Package spec validates HTTP requests and responses against the published
// OpenAPI documents of OpenAI and Discord, so that Tally's fake servers can
// check every request the bot sends and every response they return.
//
// The documents are not part of the repository. They are read from the
// folder named by TALLY_SPECS_DIR or, when that is unset, from
// ../shared/specs beside the module root. When the folder is absent the
// loaders return an error wrapping ErrSpecsMissing. Callers then skip
// validation with a message, except in CI, where Required reports true and
// they must fail.
package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// ErrSpecsMissing is wrapped by the loaders when the specs folder or one of
// its documents does not exist.
var ErrSpecsMissing = errors.New("OpenAPI specs folder not found")

// File names of the two documents inside the specs folder.
const (
	openAIFile  = "openai-tally.yaml"
	discordFile = "discord-openapi.json"
)

// loader loads one document at most once per process, because building a
// validator takes seconds: about 1.3 s for OpenAI and 5.3 s for Discord,
// measured by this package's tests on a 2-core machine.
type loader struct {
	once      sync.Once
	validator *Validator
	err       error
}

// get loads file on the first call, then lets configure set the
// document-specific fields of the validator.
func (l *loader) get(file string, configure func(*Validator)) (*Validator, error) {
	l.once.Do(func() {
		dir, err := Dir()
		if err != nil {
			l.err = err
			return
		}
		l.validator, l.err = load(filepath.Join(dir, file))
		if l.validator != nil {
			configure(l.validator)
		}
	})
	return l.validator, l.err
}

// The loaders are package state on purpose: every test in a test binary
// shares one validator per document instead of paying the load time again.
var (
	openAILoader  loader
	discordLoader loader
)

// OpenAI returns the validator for the OpenAI API (openai-tally.yaml).
// Multipart parts named "name[]" are validated as "name", the form the
// document uses for array fields such as an edit's images. The first call
// loads the document and later calls return the same validator, or the
// same error.
func OpenAI() (*Validator, error) {
	return openAILoader.get(openAIFile, func(v *Validator) { v.trimBrackets = true })
}

// Discord returns the validator for the Discord HTTP API
// (discord-openapi.json). Request paths under /api/v9, which discordgo
// v0.28.1 sends, are validated as /api/v10, the only version the document
// describes, and a multipart body's payload_json part is checked as the
// JSON body. The first call loads the document and later calls return the
// same validator, or the same error.
func Discord() (*Validator, error) {
	return discordLoader.get(discordFile, func(v *Validator) {
		v.rewrite = discordV10Path
		v.payloadJSON = true
	})
}

// Required reports whether a missing specs folder must fail the caller
// instead of skipping validation. It is true when CI=true.
func Required() bool {
	return os.Getenv("CI") == "true"
}

// Dir returns the specs folder: TALLY_SPECS_DIR when set, otherwise
// ../shared/specs relative to the module root, the nearest folder at or above
// the working directory that contains go.mod. The folder must exist.
func Dir() (string, error) {
	dir := os.Getenv("TALLY_SPECS_DIR")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", fmt.Errorf("find specs folder: %w", err)
		}
		dir = filepath.Join(root, "..", "shared", "specs")
	}

	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist; set TALLY_SPECS_DIR to the folder containing %s and %s",
			ErrSpecsMissing, dir, openAIFile, discordFile)
	}
	if err != nil {
		return "", fmt.Errorf("find specs folder: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%w: %s is not a folder", ErrSpecsMissing, dir)
	}
	return dir, nil
}

// moduleRoot walks up from the working directory to the folder containing go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("get working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod at or above the working directory", ErrSpecsMissing)
		}
		dir = parent
	}
}

// load builds a validator from the document at path.
func load(path string) (*Validator, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrSpecsMissing, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}

	document, err := libopenapi.NewDocument(data)
	if err != nil {
		return nil, fmt.Errorf("parse OpenAPI document %s: %w", path, err)
	}
	// The standard decoders add multipart/form-data and URL-encoded bodies,
	// which the default options leave unchecked.
	checker, errs := validator.NewValidator(document, config.WithStandardBodyDecoders())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build validator for %s: %w", path, errors.Join(errs...))
	}
	return &Validator{name: filepath.Base(path), checker: checker}, nil
}

// discordV10Path maps discordgo's /api/v9 paths to /api/v10.
func discordV10Path(path string) string {
	if rest, ok := strings.CutPrefix(path, "/api/v9/"); ok {
		return "/api/v10/" + rest
	}
	return path
}
