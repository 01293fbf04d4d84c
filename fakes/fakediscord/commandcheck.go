package fakediscord

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Command registration limits, from Discord's application command
// documentation.
const (
	MaxCommandNameLength        = 32
	MaxCommandDescriptionLength = 100
	MaxCommandOptions           = 25
	MaxCommandChoices           = 25
	MaxChoiceValueLength        = 100
	// MaxCommandTotalLength bounds the sum of a command's names,
	// descriptions and choice names and values.
	MaxCommandTotalLength = 4000
	MaxChatInputCommands  = 100
	MaxUserCommands       = 15
	MaxMessageCommands    = 15
)

// Application command types.
const (
	CommandTypeChatInput          = 1
	CommandTypeUser               = 2
	CommandTypeMessage            = 3
	CommandTypePrimaryEntryPoint  = 4
	maxStringOptionLength         = 6000
	codeInvalidCommandName        = "APPLICATION_COMMAND_INVALID_NAME"
	codeInvalidCommandDescription = "APPLICATION_COMMAND_INVALID_DESCRIPTION"
)

// commandName is the pattern of slash command and option names; letters
// that have a lower-case form must use it.
var commandName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// CommandOption is a registered command's option.
type CommandOption struct {
	Type         int             `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Required     bool            `json:"required,omitempty"`
	Choices      []CommandChoice `json:"choices,omitempty"`
	Options      []CommandOption `json:"options,omitempty"`
	ChannelTypes []int           `json:"channel_types,omitempty"`
	MinValue     *float64        `json:"min_value,omitempty"`
	MaxValue     *float64        `json:"max_value,omitempty"`
	MinLength    *int            `json:"min_length,omitempty"`
	MaxLength    *int            `json:"max_length,omitempty"`
	Autocomplete bool            `json:"autocomplete,omitempty"`
}

// CommandChoice is one fixed choice of an option.
type CommandChoice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// commandInput is one command of a bulk overwrite body.
type commandInput struct {
	Type                     *int            `json:"type"`
	Name                     string          `json:"name"`
	Description              *string         `json:"description"`
	Options                  []CommandOption `json:"options"`
	DefaultMemberPermissions json.RawMessage `json:"default_member_permissions"`
	DMPermission             *bool           `json:"dm_permission"`
	Contexts                 []int           `json:"contexts"`
	IntegrationTypes         []int           `json:"integration_types"`
	NSFW                     *bool           `json:"nsfw"`
}

// checkCommands validates a bulk overwrite body.
func checkCommands(inputs []commandInput) []fieldError {
	var errs []fieldError
	seen := map[string]bool{}
	counts := map[int]int{}
	for i, cmd := range inputs {
		path := []string{strconv.Itoa(i)}
		commandType := CommandTypeChatInput
		if cmd.Type != nil {
			commandType = *cmd.Type
		}
		counts[commandType]++
		key := strconv.Itoa(commandType) + "/" + cmd.Name
		if seen[key] {
			errs = append(errs, fieldError{path: appendPath(path, "name"), code: "APPLICATION_COMMANDS_DUPLICATE_NAME", message: "Application command names must be unique"})
		}
		seen[key] = true
		errs = append(errs, checkCommand(path, commandType, cmd)...)
	}
	limits := map[int]int{CommandTypeChatInput: MaxChatInputCommands, CommandTypeUser: MaxUserCommands, CommandTypeMessage: MaxMessageCommands}
	for commandType, limit := range limits {
		if counts[commandType] > limit {
			errs = append(errs, fieldError{code: "APPLICATION_COMMANDS_TOO_MANY", message: fmt.Sprintf("Maximum number of application commands of type %d reached (%d).", commandType, limit)})
		}
	}
	return errs
}

func checkCommand(path []string, commandType int, cmd commandInput) []fieldError {
	description := ""
	if cmd.Description != nil {
		description = *cmd.Description
	}
	switch commandType {
	case CommandTypeChatInput:
		errs := checkName(appendPath(path, "name"), cmd.Name, codeInvalidCommandName, "Command name is invalid")
		errs = append(errs, checkDescription(appendPath(path, "description"), description)...)
		errs = append(errs, checkOptions(appendPath(path, "options"), cmd.Options, 0)...)
		if total := commandTextLength(cmd.Name, description, cmd.Options); total > MaxCommandTotalLength {
			errs = append(errs, fieldError{path: path, code: "APPLICATION_COMMAND_TOO_LARGE", message: fmt.Sprintf("Command exceeds maximum size (%d)", MaxCommandTotalLength)})
		}
		return errs
	case CommandTypeUser, CommandTypeMessage, CommandTypePrimaryEntryPoint:
		var errs []fieldError
		if n := utf8.RuneCountInString(cmd.Name); n < 1 || n > MaxCommandNameLength {
			errs = append(errs, fieldError{path: appendPath(path, "name"), code: codeInvalidCommandName, message: "Command name is invalid"})
		}
		if description != "" && commandType != CommandTypePrimaryEntryPoint {
			errs = append(errs, fieldError{path: appendPath(path, "description"), code: codeInvalidCommandDescription, message: "Context menu commands cannot have a description"})
		}
		if len(cmd.Options) > 0 {
			errs = append(errs, fieldError{path: appendPath(path, "options"), code: "APPLICATION_COMMAND_OPTIONS_INVALID", message: "Only slash commands take options"})
		}
		return errs
	}
	return []fieldError{{path: appendPath(path, "type"), code: "BASE_TYPE_CHOICES", message: fmt.Sprintf("Value must be one of {1, 2, 3, 4}, not %d.", commandType)}}
}

// checkOptions validates one level of options. depth is 0 for a command's
// own options, 1 inside a subcommand or group, 2 inside a group's
// subcommand.
func checkOptions(path []string, options []CommandOption, depth int) []fieldError {
	var errs []fieldError
	if len(options) > MaxCommandOptions {
		errs = append(errs, tooMany(path, MaxCommandOptions))
	}
	names := map[string]bool{}
	sawOptional, sawSubcommand, sawValue := false, false, false
	for i, o := range options {
		optionPath := appendPath(path, strconv.Itoa(i))
		errs = append(errs, checkName(appendPath(optionPath, "name"), o.Name, "APPLICATION_COMMAND_OPTION_INVALID_NAME", "Option name is invalid")...)
		errs = append(errs, checkDescription(appendPath(optionPath, "description"), o.Description)...)
		if names[o.Name] {
			errs = append(errs, fieldError{path: appendPath(optionPath, "name"), code: "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", message: "Option names must be unique"})
		}
		names[o.Name] = true

		if o.Type < OptionTypeSubcommand || o.Type > OptionTypeAttachment {
			errs = append(errs, fieldError{path: appendPath(optionPath, "type"), code: "BASE_TYPE_CHOICES", message: fmt.Sprintf("Value must be one of {1, …, 11}, not %d.", o.Type)})
			continue
		}
		isGroup := o.Type == OptionTypeSubcommand || o.Type == OptionTypeSubcommandGroup
		if isGroup {
			sawSubcommand = true
		} else {
			sawValue = true
		}
		errs = append(errs, checkOptionNesting(optionPath, o, depth)...)

		if o.Required && !isGroup && sawOptional {
			errs = append(errs, fieldError{path: appendPath(optionPath, "required"), code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message: "Required options must be placed before non-required options"})
		}
		if !o.Required && !isGroup {
			sawOptional = true
		}
		errs = append(errs, checkOptionValues(optionPath, o)...)
	}
	if sawSubcommand && sawValue {
		errs = append(errs, fieldError{path: path, code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message: "Subcommands and groups cannot be mixed with other options"})
	}
	return errs
}

func checkOptionNesting(path []string, o CommandOption, depth int) []fieldError {
	var errs []fieldError
	switch o.Type {
	case OptionTypeSubcommandGroup:
		if depth != 0 {
			errs = append(errs, fieldError{path: appendPath(path, "type"), code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message: "A subcommand group must be at the top level"})
		}
		for j, sub := range o.Options {
			if sub.Type != OptionTypeSubcommand {
				errs = append(errs, fieldError{path: appendPath(path, "options", strconv.Itoa(j), "type"), code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message: "A subcommand group may contain only subcommands"})
			}
		}
		errs = append(errs, checkOptions(appendPath(path, "options"), o.Options, depth+1)...)
	case OptionTypeSubcommand:
		if depth > 1 {
			errs = append(errs, fieldError{path: appendPath(path, "type"), code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message: "Subcommands cannot be nested this deep"})
		}
		errs = append(errs, checkOptions(appendPath(path, "options"), o.Options, 2)...)
	default:
		if len(o.Options) > 0 {
			errs = append(errs, fieldError{path: appendPath(path, "options"), code: "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", message: "Only subcommands and groups hold options"})
		}
	}
	if (o.Type == OptionTypeSubcommand || o.Type == OptionTypeSubcommandGroup) && o.Required {
		errs = append(errs, fieldError{path: appendPath(path, "required"), code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message: "Subcommands and groups cannot be required"})
	}
	return errs
}

// checkOptionValues checks choices, autocomplete and the value bounds of
// one option.
func checkOptionValues(path []string, o CommandOption) []fieldError {
	var errs []fieldError
	hasChoices := len(o.Choices) > 0
	takesChoices := o.Type == OptionTypeString || o.Type == OptionTypeInteger || o.Type == OptionTypeNumber
	if hasChoices && !takesChoices {
		errs = append(errs, fieldError{path: appendPath(path, "choices"), code: "APPLICATION_COMMAND_OPTION_CHOICES_INVALID", message: "Only string, integer and number options take choices"})
	}
	if hasChoices && o.Autocomplete {
		errs = append(errs, fieldError{path: appendPath(path, "autocomplete"), code: "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID", message: "Autocomplete cannot be set with choices"})
	}
	if len(o.Choices) > MaxCommandChoices {
		errs = append(errs, tooMany(appendPath(path, "choices"), MaxCommandChoices))
	}
	for j, choice := range o.Choices {
		choicePath := appendPath(path, "choices", strconv.Itoa(j))
		errs = append(errs, checkLength(appendPath(choicePath, "name"), choice.Name, MaxChoiceValueLength, true)...)
		errs = append(errs, checkChoiceValue(appendPath(choicePath, "value"), o.Type, choice.Value)...)
	}
	numeric := o.Type == OptionTypeInteger || o.Type == OptionTypeNumber
	if (o.MinValue != nil || o.MaxValue != nil) && !numeric {
		errs = append(errs, fieldError{path: appendPath(path, "min_value"), code: "APPLICATION_COMMAND_OPTION_INVALID", message: "Only integer and number options take min_value and max_value"})
	}
	if (o.MinLength != nil || o.MaxLength != nil) && o.Type != OptionTypeString {
		errs = append(errs, fieldError{path: appendPath(path, "min_length"), code: "APPLICATION_COMMAND_OPTION_INVALID", message: "Only string options take min_length and max_length"})
	}
	if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > maxStringOptionLength) {
		errs = append(errs, fieldError{path: appendPath(path, "min_length"), code: "NUMBER_TYPE_MAX", message: "Must be between 0 and 6000."})
	}
	if o.MaxLength != nil && (*o.MaxLength < 1 || *o.MaxLength > maxStringOptionLength) {
		errs = append(errs, fieldError{path: appendPath(path, "max_length"), code: "NUMBER_TYPE_MAX", message: "Must be between 1 and 6000."})
	}
	if len(o.ChannelTypes) > 0 && o.Type != OptionTypeChannel {
		errs = append(errs, fieldError{path: appendPath(path, "channel_types"), code: "APPLICATION_COMMAND_OPTION_INVALID", message: "Only channel options take channel_types"})
	}
	return errs
}

func checkChoiceValue(path []string, optionType int, value any) []fieldError {
	switch optionType {
	case OptionTypeString:
		text, ok := value.(string)
		if !ok {
			return []fieldError{{path: path, code: "BASE_TYPE_STRING", message: "Must be a string."}}
		}
		return checkLength(path, text, MaxChoiceValueLength, true)
	case OptionTypeInteger:
		number, ok := value.(float64)
		if !ok || number != float64(int64(number)) {
			return []fieldError{{path: path, code: "NUMBER_TYPE_COERCE", message: "Value is not int."}}
		}
	case OptionTypeNumber:
		if _, ok := value.(float64); !ok {
			return []fieldError{{path: path, code: "NUMBER_TYPE_COERCE", message: "Value is not a number."}}
		}
	}
	return nil
}

// checkName checks a slash command or option name: 1 to 32 characters
// from the allowed set, in lower case.
func checkName(path []string, name, code, message string) []fieldError {
	if !commandName.MatchString(name) || strings.ToLower(name) != name {
		return []fieldError{{path: path, code: code, message: message}}
	}
	return nil
}

func checkDescription(path []string, description string) []fieldError {
	n := utf8.RuneCountInString(description)
	if n < 1 || n > MaxCommandDescriptionLength {
		return []fieldError{{path: path, code: "BASE_TYPE_BAD_LENGTH", message: fmt.Sprintf("Must be between 1 and %d in length.", MaxCommandDescriptionLength)}}
	}
	return nil
}

// commandTextLength sums what counts towards MaxCommandTotalLength.
func commandTextLength(name, description string, options []CommandOption) int {
	total := utf8.RuneCountInString(name) + utf8.RuneCountInString(description)
	for _, o := range options {
		total += commandTextLength(o.Name, o.Description, o.Options)
		for _, choice := range o.Choices {
			total += utf8.RuneCountInString(choice.Name) + utf8.RuneCountInString(fmt.Sprint(choice.Value))
		}
	}
	return total
}
