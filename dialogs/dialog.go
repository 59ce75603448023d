// Package dialogs defines the interactive dialogs of playbooks (start run,
// end run, status update, check item, next stage, add item) in a
// platform-neutral form, and parses their submissions into use-case inputs
// with per-field errors. The chat adapters render a Dialog in their own
// format (a Mattermost interactive dialog, a Slack modal).
package dialogs

import (
	"errors"
	"fmt"
)

// Callback IDs name each dialog; a submission carries its dialog's.
const (
	StartRun     = "start_run"
	EndRun       = "end_run"
	StatusUpdate = "status_update"
	CheckItem    = "check_item"
	NextStage    = "next_stage"
	AddItem      = "add_item"
)

// Element types, as Mattermost names them (Slack adapters map them).
const (
	TypeText     = "text"
	TypeTextarea = "textarea"
	TypeSelect   = "select"
	TypeBool     = "bool"
	TypeRadio    = "radio"
)

// DataSourceDynamic marks a select whose options a platform that can may
// look up as the user types (commands.Dispatcher.Lookup; Slack's external
// select). Its static Options, if any, are what a platform without dynamic
// selects lists instead: Mattermost 10.x, which accepts only the data
// sources users and channels.
const DataSourceDynamic = "dynamic"

// Dialog is a form shown to one user. State is opaque data the dialog's
// submission needs back (e.g. the run ID); adapters sign it, since
// submissions are not authenticated by the platforms.
type Dialog struct {
	CallbackID  string
	Title       string // at most 24 characters
	IntroText   string
	SubmitLabel string
	State       string
	Elements    []Element
}

// Element is one input of a dialog.
type Element struct {
	Name        string // key of the submission value
	DisplayName string // at most 24 characters
	Type        string
	SubType     string // for text: "", "number", ...
	Default     string
	Placeholder string
	HelpText    string
	Optional    bool
	MaxLength   int
	Options     []Option
	DataSource  string // "" or DataSourceDynamic
}

// Option is one choice of a select or radio element.
type Option struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// FieldErrors maps an element's Name to what is wrong with its value.
// Errors not tied to one field are under the key "".
type FieldErrors map[string]string

// Limits of Mattermost's dialog validation (model.Dialog.IsValid), which
// are also within Slack's modal limits.
const (
	MaxTitleLen       = 24   // dialog title, in bytes
	MaxDisplayNameLen = 24   // element display name, in bytes
	MaxNameLen        = 300  // element name
	MaxHelpTextLen    = 150  // element help text
	MaxTextDefaultLen = 150  // default and placeholder of a text element
	MaxAreaDefaultLen = 3000 // default and placeholder of a textarea or select
)

// MaxLookupOptions is the most options a dynamic select lookup returns.
const MaxLookupOptions = 25

// MaxStaticOptions is the most options a select lists (Slack's limit for a
// static select; Mattermost shows them all, so a dialog keeps to it too).
const MaxStaticOptions = 100

// Validate reports the first way d breaks the platforms' limits: title and
// display names of at most 24 bytes, known element types, unique names,
// selects with options unless dynamic, at most MaxStaticOptions of them,
// defaults among the options.
func Validate(d Dialog) error {
	if d.CallbackID == "" {
		return errors.New("dialog has no callback ID")
	}
	if d.Title == "" || len(d.Title) > MaxTitleLen {
		return fmt.Errorf("dialog %s: title %q must have 1 to %d bytes", d.CallbackID, d.Title, MaxTitleLen)
	}
	if len(d.SubmitLabel) > MaxTitleLen {
		return fmt.Errorf("dialog %s: submit label %q is longer than %d bytes", d.CallbackID, d.SubmitLabel, MaxTitleLen)
	}
	seen := map[string]bool{}
	for _, e := range d.Elements {
		if seen[e.Name] {
			return fmt.Errorf("dialog %s: duplicate element %q", d.CallbackID, e.Name)
		}
		seen[e.Name] = true
		if err := validateElement(e); err != nil {
			return fmt.Errorf("dialog %s: element %q: %w", d.CallbackID, e.Name, err)
		}
	}
	return nil
}

// validateElement checks one element as Mattermost's DialogElement.IsValid does.
func validateElement(e Element) error {
	switch {
	case e.Name == "" || len(e.Name) > MaxNameLen:
		return fmt.Errorf("name must have 1 to %d bytes", MaxNameLen)
	case e.DisplayName == "" || len(e.DisplayName) > MaxDisplayNameLen:
		return fmt.Errorf("display name %q must have 1 to %d bytes", e.DisplayName, MaxDisplayNameLen)
	case len(e.HelpText) > MaxHelpTextLen:
		return fmt.Errorf("help text is longer than %d bytes", MaxHelpTextLen)
	case e.MaxLength < 0:
		return errors.New("max length is negative")
	}
	if e.DataSource != "" && e.Type != TypeSelect {
		return fmt.Errorf("data source %q on a %s element", e.DataSource, e.Type)
	}
	switch e.Type {
	case TypeText, TypeTextarea:
		limit := MaxTextDefaultLen
		if e.Type == TypeTextarea {
			limit = MaxAreaDefaultLen
		}
		if len(e.Default) > limit || len(e.Placeholder) > limit {
			return fmt.Errorf("default or placeholder is longer than %d bytes", limit)
		}
		switch e.SubType {
		case "", "text", "email", "number", "tel", "url", "password":
		default:
			return fmt.Errorf("invalid subtype %q", e.SubType)
		}
	case TypeSelect:
		if len(e.Default) > MaxAreaDefaultLen || len(e.Placeholder) > MaxAreaDefaultLen {
			return fmt.Errorf("default or placeholder is longer than %d bytes", MaxAreaDefaultLen)
		}
		switch e.DataSource {
		case DataSourceDynamic:
			if len(e.Options) == 0 && e.Default == "" {
				return nil // looked up only; Mattermost cannot show it (see DataSourceDynamic)
			}
		case "":
		default:
			return fmt.Errorf("invalid data source %q", e.DataSource)
		}
		return validateOptions(e)
	case TypeRadio:
		return validateOptions(e)
	case TypeBool:
		if e.Default != "" && e.Default != "true" && e.Default != "false" {
			return fmt.Errorf("bool default %q is not true or false", e.Default)
		}
	default:
		return fmt.Errorf("invalid type %q", e.Type)
	}
	return nil
}

// validateOptions checks the static options of a select or radio element.
func validateOptions(e Element) error {
	if len(e.Options) == 0 {
		return errors.New("no options")
	}
	if len(e.Options) > MaxStaticOptions {
		return fmt.Errorf("%d options, more than the %d a list may have", len(e.Options), MaxStaticOptions)
	}
	found := e.Default == ""
	values := map[string]bool{}
	for _, o := range e.Options {
		if o.Text == "" {
			return fmt.Errorf("option %q has no text", o.Value)
		}
		if values[o.Value] {
			return fmt.Errorf("duplicate option value %q", o.Value)
		}
		values[o.Value] = true
		found = found || o.Value == e.Default
	}
	if !found {
		return fmt.Errorf("default %q is not one of the options", e.Default)
	}
	return nil
}
